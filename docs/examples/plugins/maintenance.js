// A complete third-party xinetd-ts plugin (plain JavaScript, ESM).
//
// It owns one attribute, `maintenance_file`: while that file exists, new connections to the
// service are refused with the reason `x-maintenance` (logged as `FAIL: ID x-maintenance`), and
// the running ones are left alone. Enable it from xinetd.conf:
//
//   defaults
//   {
//       plugins          = ./plugins/maintenance.js
//       maintenance_file = /run/maintenance
//   }
import { access } from 'node:fs/promises';
import { AuthorizeStage, definePlugin, refuse } from 'xinetd-ts';

const PLUGIN_NAME = 'maintenance';

export default definePlugin((options = {}) => ({
  name: PLUGIN_NAME,
  apply(daemon) {
    const maintenanceFile = daemon.attributes.define({
      name: 'maintenance_file',
      owner: PLUGIN_NAME,
      arity: 1,
      where: 'both',
      parse: (values) => values[0],
      default: options.file,
      doc: {
        values: 'path',
        default: 'none',
        description: 'While this file exists, new connections are refused (x-maintenance).',
      },
    });

    // `applies`: services without a maintenance_file never run this tap (decided per service,
    // once per configuration).
    const applies = (service) => service.values.get(maintenanceFile) !== undefined;
    daemon.hooks.authorize.tapPromise({ name: PLUGIN_NAME, stage: AuthorizeStage.DEFAULT, applies }, async (conn) => {
      const file = conn.service.values.get(maintenanceFile);
      if (file === undefined) return undefined;
      try {
        await access(file);
      } catch {
        return undefined; // no maintenance: continue the chain
      }
      return refuse('x-maintenance', `${file} exists`);
    });
  },
}));
