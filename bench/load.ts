// The bench's load generator: HTTP/1.1 keep-alive requests over node:http (one socket per
// concurrent client, as a device fleet behind a proxy looks to the server), timed one by one.
import http from "node:http";

export interface LoadResponse {
  status: number;
  body: Buffer;
  ms: number;
}

export interface LoadRequest {
  method: "GET" | "POST" | "PUT";
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
}

export class LoadClient {
  private agent: http.Agent;
  readonly latencies: number[] = [];

  constructor(
    private readonly baseUrl: string,
    private readonly concurrency: number,
  ) {
    this.agent = this.newAgent();
  }

  private newAgent(): http.Agent {
    return new http.Agent({ keepAlive: true, maxSockets: this.concurrency, maxFreeSockets: this.concurrency });
  }

  /** Sends one request; its latency is recorded unless `record` is false (warm-up, set-up). */
  async request(req: LoadRequest, record = true): Promise<LoadResponse> {
    try {
      return await this.send(req, record);
    } catch (err) {
      // The server closed an idle keep-alive socket just as it was reused: send again once.
      if ((err as { reusedSocket?: boolean }).reusedSocket) return this.send(req, record);
      throw err;
    }
  }

  private send(req: LoadRequest, record: boolean): Promise<LoadResponse> {
    const url = new URL(req.path, this.baseUrl);
    const headers: Record<string, string | number> = { ...(req.headers ?? {}) };
    if (req.body) headers["content-length"] = req.body.length;
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const r = http.request({ agent: this.agent, host: url.hostname, port: url.port, method: req.method, path: url.pathname + url.search, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const ms = performance.now() - started;
          if (record) this.latencies.push(ms);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), ms });
        });
        res.on("error", reject);
      });
      r.on("error", (err) => reject(Object.assign(err, { reusedSocket: r.reusedSocket && (err as { code?: string }).code === "ECONNRESET" })));
      r.end(req.body ? Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength) : undefined);
    });
  }

  /** Runs `clients` loops at once (each its own sequence of requests) and returns the wall time in ms. */
  async drive(clients: number, loop: (client: number) => Promise<void>): Promise<number> {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: clients }, (_, i) => loop(i)));
    return performance.now() - t0;
  }

  /** Forgets the latencies and opens new connections (idle ones may have been closed by the server). */
  reset(): void {
    this.latencies.length = 0;
    this.agent.destroy();
    this.agent = this.newAgent();
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Throws with the answer's start when the status is not the expected one. */
export function expectStatus(res: LoadResponse, want: number, what: string): LoadResponse {
  if (res.status !== want) throw new Error(`${what}: HTTP ${res.status}: ${res.body.subarray(0, 300).toString("utf8")}`);
  return res;
}
