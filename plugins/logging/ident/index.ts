import type { Connection } from '../../../core/connection.js';
import type { Daemon } from '../../../core/daemon.js';
import { AuthorizeStage } from '../../../core/hooks.js';
import { refuse, type Refusal } from '../../../core/refusal.js';
import type { ServiceConfig } from '../../../core/service-config.js';
import type { LoggingKeys } from '../attributes.js';
import { IDONLY_REFUSAL } from '../format.js';
import { IDENT_PORT, identLookup, identServerHost } from './ident-client.js';
import type { IdentResult } from './ident-reply.js';

const TAP = 'xinetd-ts:logging:ident';
/** xinetd's lookup timeout (it has none with IDONLY; we keep one so a client cannot pin us). */
const TIMEOUT_MS = 30_000;
/** Lookups in flight at once; more fail at once with `system error`. */
const MAX_LOOKUPS = 256;

interface IdentPlan {
  readonly onSuccess: boolean;
  readonly onFailure: boolean;
  readonly idOnly: boolean;
}

/** After every sink: a USERID record must follow the START or FAIL record it belongs to. */
const AFTER_SINKS = Number.MAX_SAFE_INTEGER;

/**
 * USERID and IDONLY (reference 14): only for stream wait = no services that have a log_type
 * and USERID in a log mask; never on port 113 (the mask's USERID is cleared there, with xinetd's warning). With USERID in log_on_success the lookup is done
 * before the server starts, as xinetd does in its child: the client's connection must still
 * exist when the ident server looks it up, or a short session would never get its USERID
 * record. Services xinetd answers without forking (daytime, time) have no child, so no lookup
 * and no IDONLY. IDONLY refuses with a NOID record when the lookup fails. Refused clients are
 * looked up once their FAIL record is written, beside the close.
 *
 * Records come in xinetd's order (its START is written at fork, before the child's lookup): the
 * result is held until the connection's START, or its FAIL when a limit refused it after the
 * lookup.
 */
export function applyIdent(daemon: Daemon, keys: LoggingKeys): void {
  const plans = new WeakMap<ServiceConfig, IdentPlan>();
  /** Lookups done before launch, waiting for the connection's START or FAIL record. */
  const held = new WeakMap<Connection, IdentResult>();
  let inFlight = 0;
  let watchingRecords = false;

  daemon.hooks.checkService.tap(TAP, (service, report) => {
    const v = service.values;
    if (service.port === IDENT_PORT && service.protocol === 'tcp') {
      // The ident service itself: a lookup would ask it about its own client.
      for (const [mask, key] of [['log_on_success', keys.success], ['log_on_failure', keys.failure]] as const) {
        if (v.get(key)?.has('USERID')) report.warn(`${service.id} service: clearing USERID option from ${mask}`);
      }
      return;
    }
    if (service.socketType !== 'stream' || service.wait || !v.get(keys.logType)) return;
    const onSuccess = v.get(keys.success)!.has('USERID') && !daemon.answersAtOnce(service);
    const onFailure = v.get(keys.failure)!.has('USERID');
    if (!onSuccess && !onFailure) return;
    plans.set(service, { onSuccess, onFailure, idOnly: onSuccess && service.flags.has('IDONLY') });
    if (watchingRecords) return;
    // Tapped on first need only: daemons without USERID keep an untouched log hook.
    watchingRecords = true;
    daemon.hooks.log.tap({ name: TAP, stage: AFTER_SINKS }, (event) => {
      if (event.kind === 'start') {
        const result = held.get(event.conn);
        if (!result) return;
        held.delete(event.conn);
        record(event.conn, result);
      } else if (event.kind === 'fail') {
        refused(event.conn, event.refusal);
      }
    });
  });

  const lookup = async (conn: Connection): Promise<IdentResult> => {
    const { peer, local } = conn;
    if (!peer || !local) return { ok: false, reason: 'system error' };
    if (inFlight >= MAX_LOOKUPS) return { ok: false, reason: 'system error', error: 'too many ident lookups at once' };
    inFlight++;
    try {
      return await identLookup({
        remote: peer,
        local,
        timeoutMs: TIMEOUT_MS,
        onBadLine: (line) => daemon.message('error', `Bad line received from identity server at ${identServerHost(peer.address, local.address)}: ${line}`),
        onMissingCrLf: () => daemon.message('error', 'identd server reply missing ending CR-LF'),
        onTooMuch: () => daemon.message('error', 'Too much input from identity server'),
      });
    } finally {
      inFlight--;
    }
  };
  const record = (conn: Connection, result: IdentResult) => {
    if (result.ok) daemon.log({ kind: 'userid', conn, text: result.text, time: Date.now() });
  };
  /** A FAIL record was written: USERID after it, from the lookup already done or a new one. */
  const refused = (conn: Connection, refusal: Refusal) => {
    const plan = plans.get(conn.service);
    if (!plan?.onFailure || refusal.code === IDONLY_REFUSAL) return;
    const result = held.get(conn);
    if (result) {
      // Looked up before a limit refused it: one lookup, one record.
      held.delete(conn);
      return record(conn, result);
    }
    void lookup(conn).then((result) => {
      record(conn, result);
      if (!result.ok && result.reason !== 'no server') {
        daemon.message('error', `Failed to contact identity server at ${conn.peer ? identServerHost(conn.peer.address, conn.local?.address) : undefined}: ${result.reason}`);
      }
    });
  };

  // Last authorize tap, after the address and libwrap checks. Not a limit tap: limits are decided
  // one connection at a time, and a slow ident server must never hold up anybody else.
  // Callback style: services without USERID continue synchronously.
  daemon.hooks.authorize.tapAsync({ name: TAP, stage: AuthorizeStage.LIBWRAP + 100, applies: (s) => plans.get(s)?.onSuccess === true }, (conn, callback) => {
    const plan = plans.get(conn.service);
    if (!plan?.onSuccess) return callback(null);
    lookup(conn).then((result) => {
      held.set(conn, result);
      callback(null, !result.ok && plan.idOnly ? refuse(IDONLY_REFUSAL, result.reason) : undefined);
    }, (error: Error) => callback(error));
  });
}
