import type { Connection } from '../../core/connection.js';
import type { Daemon } from '../../core/daemon.js';
import { definePlugin } from '../../core/plugin.js';
import type { Decision } from '../../core/refusal.js';
import type { ServiceConfig } from '../../core/service-config.js';
import { flushed, sendFile, type SendResult } from './send-file.js';

const PLUGIN_NAME = 'xinetd-ts:banner';

export interface BannerOptions {
  /** How long a client may take to read the banners before it is dropped (default 10 s). */
  readonly sendTimeoutMs?: number;
}

/**
 * banner (at accept, before any check; not for a client tcpmux handed over), banner_success
 * (admitted, before the server's first byte) and banner_fail (after any refusal): reference
 * 11.6. Stream connections only (xinetd's datagram banners go nowhere). Never blocks the daemon:
 * a client that does not read only holds its own connection, and only until the send timeout.
 */
export default definePlugin((options: BannerOptions = {}) => ({
  name: PLUGIN_NAME,
  apply(daemon: Daemon) {
    const file = (name: string, when: string) => daemon.attributes.define({
      name, owner: PLUGIN_NAME, arity: 1, where: 'both', inherit: 'entry',
      parse: (v) => v[0]!,
      doc: { values: 'file path', default: 'none', description: `File copied to the client ${when}.` },
    });
    const banner = file('banner', 'when it connects, before any access check');
    const success = file('banner_success', 'when it is admitted, before the server starts');
    const fail = file('banner_fail', 'when it is refused (access, time, libwrap, limits)');
    const timeoutMs = options.sendTimeoutMs ?? (Number(process.env.XINETD_TS_BANNER_TIMEOUT_MS) || 10_000);
    const first = new WeakMap<Connection, Promise<SendResult>>();

    const send = async (conn: Connection, path: string, deadline: number): Promise<SendResult> => {
      const result = await sendFile(conn.socket!, path, deadline);
      if (result !== 'unreadable') return result;
      daemon.message('error', `service = ${conn.service.id}, open of banner ${path} failed`);
      return 'sent';
    };

    daemon.hooks.accept.tap({ name: PLUGIN_NAME, applies: (s) => s.values.get(banner) !== undefined }, (conn) => {
      // A client tcpmux handed over got tcpmux's banner at its accept, as in xinetd; not this one.
      if (conn.acceptedBy) return;
      const path = conn.service.values.get(banner);
      // Started, not awaited: the checks run while the banner is being written.
      if (path && conn.socket) first.set(conn, send(conn, path, conn.startedAt + timeoutMs));
    });

    const finish = async (conn: Connection, decision: Decision, path: string | undefined, pending: Promise<SendResult> | undefined): Promise<void> => {
      const socket = conn.socket;
      if (!socket) return;
      const deadline = Date.now() + timeoutMs;
      let result = (await pending) ?? 'sent';
      if (path && result === 'sent') result = await send(conn, path, deadline);
      if (result === 'sent' && !(await flushed(socket, deadline))) result = 'stalled';
      if (result === 'stalled' || result === 'closed') {
        socket.destroy();
        // An admitted client that cannot take its banner is dropped before its server starts.
        if (decision.admitted) throw new Error(`banner not read by ${conn.peer?.address ?? 'the client'} within ${timeoutMs} ms; connection dropped`);
      }
    };

    // Callback style: a connection with no banner written and none to write continues at once.
    const anyBanner = (s: ServiceConfig) => s.values.get(banner) !== undefined || s.values.get(success) !== undefined || s.values.get(fail) !== undefined;
    daemon.hooks.decided.tapAsync({ name: PLUGIN_NAME, applies: anyBanner }, (conn, decision, callback) => {
      const path = conn.service.values.get(decision.admitted ? success : fail);
      const pending = first.get(conn);
      if (!path && !pending) return callback(null);
      finish(conn, decision, path, pending).then(() => callback(null), (error: Error) => callback(error));
    });
  },
}));
