import { DUMP_STAGE } from '../../core/config/attribute-dump.js';
import { AttributeError } from '../../core/config/attributes.js';
import type { Connection } from '../../core/connection.js';
import { parseInteger } from '../../core/core-attributes.js';
import type { Daemon } from '../../core/daemon.js';
import { AuthorizeStage } from '../../core/hooks.js';
import { definePlugin } from '../../core/plugin.js';
import { refuse, type Refusal } from '../../core/refusal.js';
import type { Session } from '../../core/session.js';
import { DenyList } from './deny-list.js';

const PLUGIN_NAME = 'xinetd-ts:sensor';

/** Minutes of deny_time; FOREVER is -1 (as xinetd logs it), NEVER 0. */
function parseDenyTime(values: readonly string[]): number {
  const v = values[0]!;
  if (/^forever$/i.test(v)) return -1;
  if (/^never$/i.test(v)) return 0;
  try {
    return parseInteger(v, 'Error parsing');
  } catch {
    throw new AttributeError(`Error parsing: ${v}`);
  }
}

/**
 * SENSOR services and deny_time (reference 13). The deny list lives in the plugin instance, so
 * it lasts as long as the process and survives reloads. Sensor services are served here (they
 * refuse every request), independently of the internal-services plugin.
 */
export default definePlugin(() => ({
  name: PLUGIN_NAME,
  apply(daemon: Daemon) {
    daemon.attributes.defineFlag({ name: 'SENSOR', owner: PLUGIN_NAME, description: 'A honeypot: every client is refused and, with deny_time, refused by every service for that long.' });
    const denyTime = daemon.attributes.define({
      name: 'deny_time', owner: PLUGIN_NAME, arity: 1, where: 'service',
      parse: parseDenyTime,
      doc: { values: 'minutes | FOREVER | NEVER', default: 'NEVER (0)', description: 'How long a client that touched this SENSOR service is refused by every service.' },
      // xinetd shows it for SENSOR services only (FOREVER as -1).
      dump: { stage: DUMP_STAGE.SENSOR, always: true, lines: (v, ctx) => (ctx.service?.flags.has('SENSOR') ? [`Deny Time: ${v ?? 0}`] : []) },
    });
    // Tests shorten the minute; production never sets this.
    const minuteMs = Number(process.env.XINETD_TS_SENSOR_MINUTE_MS) || 60_000;
    const list = new DenyList();
    const isSensor = (c: Connection) => c.service.flags.has('SENSOR');
    daemon.claimInProcess(PLUGIN_NAME, (service) => service.flags.has('SENSOR'));

    // As xinetd: the minute timer runs from the first addition while the list has entries, so
    // a one-minute entry goes (and is logged) a minute after it came.
    let sweeper: NodeJS.Timeout | undefined;
    const sweep = () => {
      const gone = list.sweep(Date.now());
      if (list.size === 0) {
        clearInterval(sweeper);
        sweeper = undefined;
      }
      if (gone === 0) return;
      daemon.message('info', 'At least 1 DENY_TIME has expired, global_no_access list updated');
      if (list.size === 0) daemon.message('info', 'global_no_access list is empty.');
    };
    const sweepFromNow = () => {
      if (sweeper) return;
      sweeper = setInterval(sweep, minuteMs);
      sweeper.unref();
    };
    daemon.hooks.close.tapPromise(PLUGIN_NAME, async () => clearInterval(sweeper));

    daemon.hooks.authorize.tap({ name: PLUGIN_NAME, stage: AuthorizeStage.SENSOR }, (conn): Refusal | void => {
      const address = conn.peer?.address;
      if (!address) return isSensor(conn) ? refuse('address', `SENSOR service ${conn.service.id}`) : undefined;
      if (!isSensor(conn)) {
        if (list.isEmpty) return undefined;
        const hit = list.find(address, Date.now());
        return hit ? refuse('address', `global_no_access list: touched SENSOR ${hit.by}`) : undefined;
      }
      const minutes = conn.service.values.get(denyTime) ?? 0;
      const by = `${conn.service.id} (${conn.service.at.file}:${conn.service.at.line})`;
      if (minutes !== 0) {
        const result = list.add(address, minutes < 0 ? Infinity : Date.now() + minutes * minuteMs, by);
        if (result === 'added') {
          daemon.message('crit', `Adding ${address} to the global_no_access list for ${minutes} minutes`);
          sweepFromNow();
        }
        else if (result === 'full') daemon.message('error', 'Maximum global_no_access count reached.');
      }
      return refuse('address', `SENSOR service ${by}`);
    });

    // Never reached (every sensor request is refused above); closes the connection if it were.
    daemon.hooks.launch.tap({ name: PLUGIN_NAME, applies: (s) => s.flags.has('SENSOR') }, (conn): Session | void => {
      if (!isSensor(conn)) return undefined;
      conn.socket?.resume();
      conn.socket?.destroy();
      return { pid: 0, done: Promise.resolve({ status: 0 }), stop: () => undefined, logExit: false, counted: false };
    });
  },
}));
