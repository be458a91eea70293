// Types of scripts/routeBridge.mjs for the TypeScript callers (test/helpers/routeServer.ts).
import type { IncomingMessage, ServerResponse } from "node:http";

export declare const ENCODED_BODY_HEADER: string;

export type RouteParams = Record<string, string | string[]>;
export type RouteHandler = (request: Request, ctx: { params: Promise<RouteParams> }) => Response | Promise<Response>;

export declare function routeMatcher(pattern: string): (pathname: string) => RouteParams | null;
export declare function webRequest(req: IncomingMessage, res: ServerResponse, url: URL): Request;
export declare function sendResponse(req: IncomingMessage, res: ServerResponse, response: Response, extraHeaders?: [string, string][]): Promise<void>;
export declare function handlerFor(module: Partial<Record<string, unknown>>, method: string | undefined): RouteHandler | null;
export declare function serveHandler(req: IncomingMessage, res: ServerResponse, handler: RouteHandler, url: URL, params: RouteParams, extraHeaders?: [string, string][]): Promise<void>;
