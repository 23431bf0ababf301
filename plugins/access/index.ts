import type { Connection } from '../../core/connection.js';
import type { Daemon } from '../../core/daemon.js';
import { explainNote } from '../../core/explain-command.js';
import { AuthorizeStage } from '../../core/hooks.js';
import { definePlugin } from '../../core/plugin.js';
import { refuse, type Refusal } from '../../core/refusal.js';
import { clientAddress } from './address-match.js';
import { intervalAt } from './access-times.js';
import { defineAccessAttributes, PLUGIN_NAME } from './attributes.js';
import { decideAccess } from './decide.js';
import { nameResolverFor } from './reverse-lookup.js';
import { xinetdDifferences } from './xinetd-difference.js';

/** only_from, no_access (ADDRESS stage) and access_times (TIME stage): references 5 and 6. */
export default definePlugin(() => ({
  name: PLUGIN_NAME,
  apply(daemon: Daemon) {
    const keys = defineAccessAttributes(daemon.attributes);
    const names = nameResolverFor(daemon);

    daemon.hooks.checkService.tap(PLUGIN_NAME, (service, report) => {
      const onlyFrom = service.values.get(keys.onlyFrom);
      const noAccess = service.values.get(keys.noAccess);
      for (const warning of xinetdDifferences(onlyFrom, noAccess)) report.warn(`Service ${service.id}: ${warning}`);
      for (const e of [...(onlyFrom?.entries ?? []), ...(noAccess?.entries ?? [])]) {
        if (e.kind === 'v4' && e.dottedMask) report.warn(`Service ${service.id}: ${e.text} is read as a /32 (one address), as xinetd does; write a prefix length such as /24`);
      }
      if ((onlyFrom || noAccess) && service.socketType === 'stream' && service.wait) {
        report.warn(`Service ${service.id}: only_from/no_access have no effect on stream wait = yes services (no client address is known)`);
      }
    });

    // Callback style: a synchronous answer unless a rule needs the client's host name.
    daemon.hooks.authorize.tapAsync({ name: PLUGIN_NAME, stage: AuthorizeStage.ADDRESS, applies: (s) => s.values.get(keys.onlyFrom) !== undefined || s.values.get(keys.noAccess) !== undefined }, (conn: Connection, callback: (error: Error | null, refusal?: Refusal | void) => void) => {
      const onlyFrom = conn.service.values.get(keys.onlyFrom);
      const noAccess = conn.service.values.get(keys.noAccess);
      if ((!onlyFrom && !noAccess) || !conn.peer) return callback(null);
      const address = conn.peer.address;
      const decide = (name: string | undefined): Refusal | void => {
        const decision = decideAccess(onlyFrom, noAccess, clientAddress(address), name);
        if (decision.admitted) return explainNote(conn, decision.detail);
        if (decision.tie) daemon.message('error', `Service=${conn.service.id}: only_from list and no_access list match equally the address ${address}`);
        return refuse('address', decision.detail);
      };
      if (!(onlyFrom?.needsName || noAccess?.needsName)) return callback(null, decide(undefined));
      names.lookup(address).then((host) => callback(null, decide(host.name)), (error: Error) => callback(error));
    });

    daemon.hooks.authorize.tap({ name: PLUGIN_NAME, stage: AuthorizeStage.TIME, applies: (s) => s.values.get(keys.accessTimes) !== undefined }, (conn: Connection): Refusal | void => {
      const times = conn.service.values.get(keys.accessTimes);
      if (!times) return undefined;
      const inside = intervalAt(times.intervals, new Date(conn.startedAt));
      const where = () => `${times.at.file}:${times.at.line}`;
      if (inside) return explainNote(conn, () => `access_times ${inside.text} (${where()})`);
      return refuse('time', `outside access_times ${times.intervals.map((i) => i.text).join(' ')} (${where()})`);
    });
  },
}));
