import type { Connection } from '../../../core/connection.js';
import type { Daemon } from '../../../core/daemon.js';
import { AuthorizeStage } from '../../../core/hooks.js';
import { refuse } from '../../../core/refusal.js';
import type { ServiceConfig } from '../../../core/service-config.js';
import type { LoggingKeys } from '../attributes.js';
import { IDONLY_REFUSAL } from '../format.js';
import { identLookup } from './ident-client.js';
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

/**
 * USERID and IDONLY (reference 14): only for stream wait = no services that have a log_type
 * and USERID in a log mask; never on port 113. With USERID in log_on_success the lookup is done
 * before the server starts, as xinetd does in its child: the client's connection must still
 * exist when the ident server looks it up, or a short session would never get its USERID
 * record. IDONLY refuses with a NOID record when it fails. Refused clients are looked up after
 * the refusal, beside the close.
 */
export function applyIdent(daemon: Daemon, keys: LoggingKeys): void {
  const plans = new WeakMap<ServiceConfig, IdentPlan>();
  /** Connections already looked up before a limit refused them: one USERID record each. */
  const lookedUp = new WeakSet<Connection>();
  let inFlight = 0;

  daemon.hooks.checkService.tap(TAP, (service) => {
    const v = service.values;
    if (service.socketType !== 'stream' || service.wait || service.port === 113 || !v.get(keys.logType)) return;
    const onSuccess = v.get(keys.success)!.has('USERID');
    const onFailure = v.get(keys.failure)!.has('USERID');
    if (onSuccess || onFailure) plans.set(service, { onSuccess, onFailure, idOnly: onSuccess && service.flags.has('IDONLY') });
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
        onBadLine: (line) => daemon.message('error', `Bad line received from identity server at ${peer.address}: ${line}`),
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

  // Last authorize tap, after the address and libwrap checks. Not a limit tap: limits are decided
  // one connection at a time, and a slow ident server must never hold up anybody else.
  // Callback style: services without USERID continue synchronously.
  daemon.hooks.authorize.tapAsync({ name: TAP, stage: AuthorizeStage.LIBWRAP + 100, applies: (s) => plans.get(s)?.onSuccess === true }, (conn, callback) => {
    const plan = plans.get(conn.service);
    if (!plan?.onSuccess) return callback(null);
    lookedUp.add(conn);
    lookup(conn).then((result) => {
      if (!result.ok) return callback(null, plan.idOnly ? refuse(IDONLY_REFUSAL, result.reason) : undefined);
      record(conn, result);
      callback(null);
    }, (error: Error) => callback(error));
  });

  daemon.hooks.decided.tap({ name: TAP, applies: (s) => plans.has(s) }, (conn, decision) => {
    const plan = plans.get(conn.service);
    if (!plan) return;
    if (!decision.admitted && plan.onFailure && decision.refusal.code !== IDONLY_REFUSAL && !lookedUp.has(conn)) {
      void lookup(conn).then((result) => {
        record(conn, result);
        if (!result.ok && !decision.admitted && result.reason !== 'no server') {
          daemon.message('error', `Failed to contact identity server at ${conn.peer?.address}: ${result.reason}`);
        }
      });
    }
  });
}
