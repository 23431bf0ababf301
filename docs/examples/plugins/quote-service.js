// A third-party internal service (plain JavaScript, ESM): `quote` answers with a line of text
// over TCP (then closes) and over UDP. Enable it from xinetd.conf:
//
//   defaults
//   {
//       plugins = ./plugins/quote-service.js
//   }
//   service quote
//   {
//       type        = INTERNAL UNLISTED
//       # or dgram (UDP)
//       socket_type = stream
//       wait        = no
//       port        = 7017
//   }
import { defineInternalService } from 'xinetd-ts';

const QUOTE = Buffer.from('Simplicity is prerequisite for reliability. (E. W. Dijkstra)\r\n');

export default defineInternalService({
  name: 'quote',
  // `reply` mode: answered at once and closed, like xinetd's daytime (not counted, no EXIT).
  // `answer` returns the bytes; the core sends them and closes, without making a stream object.
  stream: { mode: 'reply', answer: () => QUOTE },
  dgram: (datagram) => datagram.reply(QUOTE),
});
