/**
 * A `fetch` for the streamable HTTP transport that bounds what one response may make us hold:
 * a JSON body, or one event of an SSE stream (bytes up to a blank line), longer than `maxBytes`
 * fails the response, and its connection is closed. Without it a server that streams an endless
 * body has the whole of it buffered (`response.json()`, or the SSE parser's current event)
 * until the daemon runs out of memory; a call's timeout does not stop the read.
 */
export function boundedFetch(maxBytes: number, what: string): (url: string | URL, init?: RequestInit) => Promise<Response> {
  return async (url, init) => {
    const res = await fetch(url, init);
    if (!res.body || [101, 204, 205, 304].includes(res.status) || (res.status >= 300 && res.status < 400)) return res;
    const sse = (res.headers.get('content-type') ?? '').toLowerCase().includes('text/event-stream');
    let count = 0;
    let atLineStart = true;
    let prevCR = false;
    const limit = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, ctl) {
        if (!sse) {
          count += chunk.length;
        } else {
          // Counts the bytes of the current event: an empty line (CR, LF or CRLF endings) ends it.
          for (let i = 0; i < chunk.length; i++) {
            const b = chunk[i]!;
            if (b === 0x0d || (b === 0x0a && !prevCR)) {
              if (atLineStart) count = 0;
              atLineStart = true;
              prevCR = b === 0x0d;
            } else if (b === 0x0a) {
              prevCR = false;
            } else {
              atLineStart = false;
              prevCR = false;
              count++;
            }
          }
        }
        if (count > maxBytes) {
          ctl.error(new Error(`${what} sent a ${sse ? 'stream event' : 'response'} longer than ${maxBytes} bytes`));
          return;
        }
        ctl.enqueue(chunk);
      },
    });
    return new Response(res.body.pipeThrough(limit), { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}
