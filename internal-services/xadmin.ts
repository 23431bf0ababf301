import type { Socket } from 'node:net';
import type { Daemon } from '../core/daemon.js';
import type { InternalServiceSpec } from './define.js';
import { availableServices, runningServers } from './admin-listings.js';

const PROMPT = '> ';
/** A command line longer than this closes the session (bounded memory per connection). */
const MAX_LINE = 1024;
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
  const work = (): void => {
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const reply = answer(daemon, pending.slice(0, nl).replace(/\r$/, ''));
      pending = pending.slice(nl + 1);
      if (reply === undefined) {
        socket.end('bye\n');
        socket.destroySoon();
        return;
      }
      // A client that sends commands without reading the answers stops being read.
      if (!socket.write(reply + PROMPT)) {
        socket.pause();
        socket.once('drain', () => {
          socket.resume();
          work();
        });
        return;
      }
    }
    if (pending.length > MAX_LINE) socket.destroy();
  };
  socket.setEncoding('latin1');
  socket.on('data', (text: string) => {
    pending += text;
    work();
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
