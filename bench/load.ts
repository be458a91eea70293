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
  /** One keep-alive connection per lane (a simulated device keeps its own connection). */
  private agents: http.Agent[];
  readonly latencies: number[] = [];

  constructor(
    private readonly baseUrl: string,
    private readonly lanes: number,
  ) {
    this.agents = this.newAgents();
  }

  private newAgents(): http.Agent[] {
    return Array.from({ length: this.lanes }, () => new http.Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 }));
  }

  /** Sends one request on the lane's connection; its latency is recorded unless `record` is false (warm-up, set-up). */
  async request(req: LoadRequest, record = true, lane = 0): Promise<LoadResponse> {
    const agent = this.agents[lane % this.agents.length];
    try {
      return await this.send(req, record, agent);
    } catch (err) {
      // The server closed an idle keep-alive socket just as it was reused: send again once.
      if ((err as { reusedSocket?: boolean }).reusedSocket) return this.send(req, record, agent);
      throw err;
    }
  }

  private send(req: LoadRequest, record: boolean, agent: http.Agent): Promise<LoadResponse> {
    const url = new URL(req.path, this.baseUrl);
    const headers: Record<string, string | number> = { ...(req.headers ?? {}) };
    if (req.body) headers["content-length"] = req.body.length;
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const r = http.request({ agent, host: url.hostname, port: url.port, method: req.method, path: url.pathname + url.search, headers }, (res) => {
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

  /** Runs `clients` loops at once (each its own sequence of requests, on lane = its index) and returns the wall time in ms. */
  async drive(clients: number, loop: (client: number) => Promise<void>): Promise<number> {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: clients }, (_, i) => loop(i)));
    return performance.now() - t0;
  }

  /** Forgets the latencies and opens new connections (idle ones may have been closed by the server). */
  reset(): void {
    this.latencies.length = 0;
    for (const a of this.agents) a.destroy();
    this.agents = this.newAgents();
  }

  close(): void {
    for (const a of this.agents) a.destroy();
  }
}

/** Throws with the answer's start when the status is not the expected one. */
export function expectStatus(res: LoadResponse, want: number, what: string): LoadResponse {
  if (res.status !== want) throw new Error(`${what}: HTTP ${res.status}: ${res.body.subarray(0, 300).toString("utf8")}`);
  return res;
}
