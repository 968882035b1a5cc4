/** Pieces the tail keeps before merging them into one string. */
const MAX_TAIL_PIECES = 256;

/**
 * A bounded copy of a text stream: keeps the first and last `capacity / 2` characters and counts
 * what fell out of the middle, so a command printing gigabytes cannot exhaust memory while the
 * beginning (usually the command's own header) and the end (usually the error) survive.
 */
export class HeadTailBuffer {
  private head = '';
  private tail: string[] = [];
  private tailLength = 0;
  private omitted = 0;
  private readonly headCap: number;
  private readonly tailCap: number;

  /** `capacity` is in UTF-16 code units (≈ characters). */
  constructor(capacity: number) {
    this.headCap = Math.floor(capacity / 2);
    this.tailCap = capacity - this.headCap;
  }

  /** Appends text. */
  push(text: string): void {
    if (text.length === 0) return;
    let rest = text;
    if (this.head.length < this.headCap) {
      const take = this.headCap - this.head.length;
      this.head += rest.slice(0, take);
      rest = rest.slice(take);
      if (rest.length === 0) return;
    }
    this.tail.push(rest);
    this.tailLength += rest.length;
    // Many tiny pieces would make the trimming below quadratic: merge them now and then.
    if (this.tail.length > MAX_TAIL_PIECES) this.tail = [this.tail.join('')];
    while (this.tailLength > this.tailCap) {
      const first = this.tail[0] as string;
      const excess = this.tailLength - this.tailCap;
      if (first.length <= excess) {
        this.tail.shift();
        this.tailLength -= first.length;
        this.omitted += first.length;
      } else {
        this.tail[0] = first.slice(excess);
        this.tailLength -= excess;
        this.omitted += excess;
      }
    }
  }

  /** Characters dropped from the middle so far. */
  get omittedChars(): number {
    return this.omitted;
  }

  /** Whether nothing has been pushed since the last `clear`. */
  get isEmpty(): boolean {
    return this.head.length === 0 && this.tailLength === 0;
  }

  /** The kept text, with a marker where the middle was dropped. */
  toString(): string {
    const tail = this.tail.join('');
    if (this.omitted === 0) return this.head + tail;
    return `${this.head}\n[... ${this.omitted} chars omitted ...]\n${tail}`;
  }

  /** Returns the kept text and empties the buffer. */
  drain(): string {
    const text = this.toString();
    this.clear();
    return text;
  }

  /** Empties the buffer. */
  clear(): void {
    this.head = '';
    this.tail = [];
    this.tailLength = 0;
    this.omitted = 0;
  }
}
