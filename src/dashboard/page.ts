import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'graphql-yoga';
import type { DashboardOperations } from './documents.js';

/** Where the dashboard is served. */
export const DASHBOARD_PATH = '/dashboard';

/** Where the page loads its scripts and styles from: this server, never a CDN. */
export const DASHBOARD_ASSETS_PATH = '/dashboard/assets/';

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

const publicDir = fileURLToPath(new URL('../../public/dashboard/', import.meta.url));
const uplotDir = join(
  dirname(createRequire(import.meta.url).resolve('uplot/package.json')),
  'dist',
);

// Every file the page may load, its type and where it is read from; nothing else is served.
const ASSETS: Record<string, { type: string; file: string }> = {
  'uPlot.iife.min.js': { type: JS, file: join(uplotDir, 'uPlot.iife.min.js') },
  'uPlot.min.css': { type: CSS, file: join(uplotDir, 'uPlot.min.css') },
  ...Object.fromEntries(
    [
      'dashboard.js',
      'api.js',
      'measures.js',
      'figures.js',
      'time.js',
      'format.js',
      'panels.js',
    ].map((f) => [f, { type: JS, file: join(publicDir, f) }]),
  ),
  'dashboard.css': { type: CSS, file: join(publicDir, 'dashboard.css') },
};

/**
 * The page's Content-Security-Policy: scripts, styles and requests from this origin only, no
 * inline script, no plug-ins, no framing. The configuration travels as a JSON data block,
 * which is not executed.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

// An inline icon, so the browser asks no server for /favicon.ico.
const FAVICON =
  'data:image/svg+xml,%3Csvg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"%3E%3Crect width="16" height="16" rx="3" fill="%23155e75"/%3E%3C/svg%3E';

/** What the page is told at load: its operations' hashes and the demo's token, if any. */
export interface DashboardPageOptions {
  operations: DashboardOperations;
  /** The embedded demo's analyst token, offered at sign-in. */
  demoToken?: string;
}

/** The dashboard's HTML: the shell the scripts fill in, with its configuration as JSON. */
export function renderDashboard(options: DashboardPageOptions): string {
  const asset = (file: string) => `${DASHBOARD_ASSETS_PATH}${file}`;
  // `<` escaped so no value can close the data block.
  const config = JSON.stringify({
    operations: options.operations,
    demoToken: options.demoToken ?? null,
  }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ShelfOps dashboard</title>
<link rel="icon" href='${FAVICON}'>
<link rel="stylesheet" href="${asset('uPlot.min.css')}">
<link rel="stylesheet" href="${asset('dashboard.css')}">
<script type="application/json" id="dashboard-config">${config}</script>
<script src="${asset('uPlot.iife.min.js')}" defer></script>
<script type="module" src="${asset('dashboard.js')}"></script>
</head>
<body>
<a class="skip" href="#main">Skip to the figures</a>
<header class="top">
  <h1>ShelfOps dashboard</h1>
  <p id="who" class="who"></p>
  <button type="button" id="sign-out" hidden>Sign out</button>
</header>
<main id="main" tabindex="-1">
  <p id="loading">Loading…</p>
  <noscript>The dashboard needs JavaScript.</noscript>
</main>
</body>
</html>`;
}

/**
 * Serves /dashboard (the page, with its CSP) and its assets from public/dashboard and
 * node_modules, each with its content type. The page reads data only through /graphql, with
 * the user's token and the dashboard's persisted documents.
 */
export function useDashboard(options: DashboardPageOptions): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      const path = url.pathname;
      if (path !== DASHBOARD_PATH && !path.startsWith(`${DASHBOARD_PATH}/`)) return;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(
          new fetchAPI.Response('method not allowed', { status: 405, headers: { allow: 'GET' } }),
        );
        return;
      }
      if (path === DASHBOARD_PATH || path === `${DASHBOARD_PATH}/`) {
        endResponse(
          new fetchAPI.Response(renderDashboard(options), {
            headers: {
              ...SECURITY_HEADERS,
              'content-type': 'text/html; charset=utf-8',
              // It may carry the demo's token: never kept by a cache.
              'cache-control': 'no-store',
            },
          }),
        );
        return;
      }
      const asset = path.startsWith(DASHBOARD_ASSETS_PATH)
        ? ASSETS[path.slice(DASHBOARD_ASSETS_PATH.length)]
        : undefined;
      if (!asset) {
        endResponse(new fetchAPI.Response('not found', { status: 404 }));
        return;
      }
      const body = await readFile(asset.file);
      endResponse(
        new fetchAPI.Response(body, {
          headers: {
            ...SECURITY_HEADERS,
            'content-type': asset.type,
            'cache-control': 'no-cache',
          },
        }),
      );
    },
  };
}
