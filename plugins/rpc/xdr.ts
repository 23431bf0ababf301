/**
 * The little of XDR (RFC 4506) that talking to rpcbind needs: unsigned ints and strings,
 * big-endian, each padded to four bytes.
 */
export class XdrWriter {
  readonly #parts: Buffer[] = [];

  uint(value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value >>> 0);
    this.#parts.push(b);
    return this;
  }

  string(text: string): this {
    const bytes = Buffer.from(text, 'latin1');
    this.uint(bytes.length);
    this.#parts.push(bytes, Buffer.alloc((4 - (bytes.length % 4)) % 4));
    return this;
  }

  bytes(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

export class XdrReader {
  #at = 0;

  constructor(private readonly data: Buffer) {}

  uint(): number {
    if (this.#at + 4 > this.data.length) throw new Error('short RPC reply');
    const v = this.data.readUInt32BE(this.#at);
    this.#at += 4;
    return v;
  }

  /** A string of at most `max` bytes. */
  string(max = 1024): string {
    const n = this.uint();
    if (n > max || this.#at + n > this.data.length) throw new Error('bad string in RPC reply');
    const text = this.data.toString('latin1', this.#at, this.#at + n);
    this.#at += n + ((4 - (n % 4)) % 4);
    return text;
  }

  /** Skip opaque data of the length read first (an authenticator's body). */
  skipOpaque(): void {
    const n = this.uint();
    this.#at += n + ((4 - (n % 4)) % 4);
    if (this.#at > this.data.length) throw new Error('short RPC reply');
  }
}
