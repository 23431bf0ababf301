// A third-party log sink (plain JavaScript, ESM): every service record as one JSON line, in a
// file of its own named by the plugin's options (the built-in `log_json` has a fixed set of
// fields; a sink of your own chooses them). Options are given in the structured form:
//
//   { "plugins": [["./plugins/json-log.js", { "path": "/var/log/xinetd-records.jsonl" }]],
//     "include": ["/etc/xinetd.conf"] }
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { definePlugin } from 'xinetd-ts';

const PLUGIN_NAME = 'json-log';

export default definePlugin((options) => {
  if (typeof options?.path !== 'string') throw new Error('options.path (the file to write) is required');
  // Resolved now: once started, the daemon works in / (as xinetd), and relative paths would
  // land there.
  const path = resolve(options.path);
  return {
    name: PLUGIN_NAME,
    apply(daemon) {
      let out;
      daemon.hooks.ready.tap(PLUGIN_NAME, () => {
        out = createWriteStream(path, { flags: 'a', mode: 0o644 });
        out.on('error', (error) => daemon.message('error', `${PLUGIN_NAME}: ${error.message}`));
      });
      // Sinks must not block: the stream queues and writes asynchronously.
      daemon.hooks.log.tap(PLUGIN_NAME, (event) => {
        if (event.kind === 'daemon' || out === undefined) return;
        const { conn } = event;
        const record = { time: new Date(event.time).toISOString(), kind: event.kind, service: conn.service.id, from: conn.peer?.address };
        if (event.kind === 'fail') Object.assign(record, { reason: event.refusal.code, by: event.refusal.by });
        if (event.kind === 'exit') record.duration_ms = event.durationMs;
        out.write(`${JSON.stringify(record)}\n`);
      });
      daemon.hooks.close.tapPromise(PLUGIN_NAME, () => new Promise((done) => (out ? out.end(done) : done())));
    },
  };
});
