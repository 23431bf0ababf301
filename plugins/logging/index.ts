import { createWriteStream, type WriteStream } from 'node:fs';
import type { Daemon } from '../../core/daemon.js';
import type { ServiceLogEvent } from '../../core/log-event.js';
import { definePlugin } from '../../core/plugin.js';
import { defineLoggingAttributes, PLUGIN_NAME } from './attributes.js';
import { fileTimestamp, formatRecord } from './format.js';

/**
 * Service records (START, EXIT, FAIL, USERID, NOID, TRAFFIC) in xinetd's format. FILE sinks are
 * append-only streams, reopened on every reload (rotation = rename + SIGHUP, as with xinetd).
 */
export default definePlugin(() => ({
  name: PLUGIN_NAME,
  apply(daemon: Daemon) {
    const keys = defineLoggingAttributes(daemon.attributes);
    const files = new Map<string, WriteStream>();
    const reported = new Set<string>();
    const open = (path: string): WriteStream => {
      let stream = files.get(path);
      if (!stream) {
        stream = createWriteStream(path, { flags: 'a', mode: 0o644 });
        stream.on('error', (error) => {
          if (!reported.has(path)) daemon.message('error', `cannot write log file ${path}: ${error.message}`);
          reported.add(path);
          files.delete(path);
        });
        files.set(path, stream);
      }
      return stream;
    };
    const closeAll = async () => {
      const all = [...files.values()];
      files.clear();
      reported.clear();
      await Promise.all(all.map((s) => new Promise<void>((resolve) => s.end(resolve))));
    };
    daemon.hooks.log.tap(PLUGIN_NAME, (event) => {
      if (event.kind === 'daemon') return;
      const values = event.conn.service.values;
      const type = values.get(keys.logType);
      if (type?.kind !== 'file') return;
      const line = formatRecord(event as ServiceLogEvent, { success: values.get(keys.success)!, failure: values.get(keys.failure)! });
      if (line !== undefined) open(type.path).write(`${fileTimestamp(event.time)}: ${line}\n`);
    });
    daemon.hooks.reloaded.tapPromise(PLUGIN_NAME, closeAll);
    daemon.hooks.close.tapPromise(PLUGIN_NAME, closeAll);
  },
}));
