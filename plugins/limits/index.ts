import type { Daemon } from '../../core/daemon.js';
import { definePlugin } from '../../core/plugin.js';
import { defineLimitAttributes, PLUGIN_NAME } from './attributes.js';
import { tapCps } from './cps.js';
import { tapDescriptors } from './descriptors.js';
import { freshCounts } from './fresh-counts.js';
import { tapInstances } from './instances.js';
import { tapMaxLoad } from './max-load.js';
import { tapPerSource } from './per-source.js';
import { tapProcessLimit } from './process-limit.js';

/**
 * xinetd's limits (reference 7): each one a tap on the limit hook at its stage, reading the
 * counts the core keeps (they never write them, so no limit can leak a slot).
 */
export default definePlugin(() => ({
  name: PLUGIN_NAME,
  apply(daemon: Daemon) {
    const keys = defineLimitAttributes(daemon.attributes);
    tapDescriptors(daemon, keys);
    tapCps(daemon, keys);
    tapMaxLoad(daemon, keys);
    const fresh = freshCounts(daemon);
    tapInstances(daemon, keys, fresh);
    tapPerSource(daemon, keys, fresh);
    tapProcessLimit(daemon, fresh);
  },
}));
