import { readFileSync } from 'node:fs';
import { type ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Controller, Get, Res } from '@nestjs/common';

/** `apps/gateway/public`, whether this runs from the sources or from the compiled `dist/apps/gateway`. */
export const WEBCHAT_PUBLIC_DIR = (() => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const parts = here.split(path.sep);
  const dist = parts.lastIndexOf('dist');
  const root = dist >= 0 ? parts.slice(0, dist).join(path.sep) : path.resolve(here, '../../../..');
  return path.join(root, 'apps', 'gateway', 'public');
})();

interface PageAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

const SECURITY_HEADERS = {
  // Same-origin scripts, styles and WebSocket only: nothing on the page can reach another host.
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

function loadAsset(file: string, contentType: string): PageAsset {
  return { body: readFileSync(path.join(WEBCHAT_PUBLIC_DIR, file)), contentType };
}

/** The WebChat page: static HTML, CSS and one small script, no build step. */
@Controller()
export class WebchatPageController {
  private readonly page = loadAsset('index.html', 'text/html; charset=utf-8');
  private readonly script = loadAsset('webchat.js', 'text/javascript; charset=utf-8');
  private readonly styles = loadAsset('webchat.css', 'text/css; charset=utf-8');

  @Get()
  index(@Res() response: ServerResponse): void {
    serve(response, this.page);
  }

  @Get('webchat.js')
  webchatScript(@Res() response: ServerResponse): void {
    serve(response, this.script);
  }

  @Get('webchat.css')
  webchatStyles(@Res() response: ServerResponse): void {
    serve(response, this.styles);
  }
}

function serve(response: ServerResponse, asset: PageAsset): void {
  response.statusCode = 200;
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
  response.setHeader('Content-Type', asset.contentType);
  response.setHeader('Content-Length', asset.body.length);
  response.end(asset.body);
}
