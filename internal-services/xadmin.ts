import type { Socket } from 'node:net';
import type { Daemon } from '../core/daemon.js';
import type { InternalServiceSpec } from './define.js';
import { availableServices, runningServers } from './admin-listings.js';

const PROMPT = '> ';
/** A command line longer than this closes the session (bounded memory per connection). */
const MAX_LINE = 1024;
/**
 * Answers are written this much at a time: pipelined commands cost one write per batch, not one
 * each, and a client that sends thousands per read yields the event loop between batches.
 */
const BATCH = 64 * 1024;
const HELP = 'Commands:\n  help         this text\n  show run     running servers (id pid=PID)\n  show avail   active services (name protocol port)\n  bye | exit | quit\n';

function answer(daemon: Daemon, command: string): string | undefined {
  switch (command.trim().replace(/\s+/g, ' ').toLowerCase()) {
    case '':
      return '';
    case 'help':
      return HELP;
    case 'show run':
      return runningServers(daemon);
    case 'show avail':
      return availableServices(daemon);
    case 'bye':
    case 'exit':
    case 'quit':
      return undefined;
    default:
      return `unknown command: ${command.trim().slice(0, 64)} (try help)\n`;
  }
}

function session(daemon: Daemon, socket: Socket): void {
  let pending = '';
  let closing = false;
  /** A batch has been written: the rest of `pending` waits for 'drain' or the next turn. */
  let held = false;
  const next = () => {
    held = false;
    if (socket.destroyed) return;
    work();
    if (!held && !closing) socket.resume();
  };
  const work = (): void => {
    let out = '';
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      if (nl > MAX_LINE) {
        socket.destroy();
        return;
      }
      const reply = answer(daemon, pending.slice(0, nl).replace(/\r$/, ''));
      pending = pending.slice(nl + 1);
      if (reply === undefined) {
        closing = true;
        pending = '';
        socket.end(`${out}bye\n`);
        socket.destroySoon();
        return;
      }
      out += reply + PROMPT;
      if (out.length >= BATCH) break;
    }
    const more = pending.includes('\n');
    if (!more && pending.length > MAX_LINE) {
      socket.destroy();
      return;
    }
    if (!out) return;
    // A client that sends commands without reading the answers stops being read.
    const flushed = socket.write(out);
    if (flushed && !more) return;
    socket.pause();
    held = true;
    if (flushed) setImmediate(next); // the rest of this read, in a later turn
    else socket.once('drain', next);
  };
  socket.setEncoding('latin1');
  socket.on('data', (text: string) => {
    if (closing) return;
    pending += text;
    if (!held) work();
  });
  socket.write(PROMPT);
  socket.resume();
}

/** xadmin: the interactive administration shell (prompt `> `; help, show run, show avail, bye). */
export const xadmin: InternalServiceSpec<Daemon> = {
  name: 'xadmin',
  exposesHost: true,
  setup: (_service, daemon) => daemon,
  stream: (socket, ctx) => session(ctx.data, socket),
};
