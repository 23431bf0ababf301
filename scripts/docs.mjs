// Rewrites the generated attribute tables in docs/configuration.md from the registry.
import { readFileSync, writeFileSync } from 'node:fs';
import { Daemon } from '../dist/core/daemon.js';
import { builtinPlugins } from '../dist/plugins/index.js';
import { attributeTables, replaceTables } from '../dist/core/attribute-docs.js';

const daemon = new Daemon({});
for (const p of builtinPlugins()) daemon.use(p);
const file = new URL('../docs/configuration.md', import.meta.url);
writeFileSync(file, replaceTables(readFileSync(file, 'utf8'), attributeTables(daemon.attributes)));
console.log('docs/configuration.md updated');
