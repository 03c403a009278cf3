// The page's service worker, served at /sw.js by the gateway (stretch_web/shell.py), which puts
// VERSION (a hash of the files) and SHELL (their paths) in front of this file. It caches exactly
// the page's own files, so the page opens at once, also with no network; every other request
// (the WebSocket, /status, history, exports) goes to the network and is never stored: those
// answers hold health data. A change to any file changes VERSION: a new worker, a new cache.
/* global VERSION, SHELL */
'use strict';

const CACHE = `stretch-coach-${VERSION}`;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE)
    .then((cache) => cache.addAll(SHELL.map((path) => new Request(path, { cache: 'reload' }))))
    .then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin || !SHELL.includes(url.pathname)) {
    return;  // not one of the page's files: the browser fetches it, nothing is kept
  }
  event.respondWith(caches.open(CACHE)
    .then((cache) => cache.match(url.pathname))
    .then((hit) => hit || fetch(req)));
});
