// What a whole session on a phone needs besides sound: the screen kept on while a session runs
// (Screen Wake Lock API), and the page's own files cached by a service worker (/sw.js) so that
// it opens at once and can be added to the home screen. The coach itself still needs the server.
'use strict';

// Keeps the screen on while `want(true)`. The browser drops the lock whenever the page is hidden
// (phone locked, other app); it is taken again when the page is visible. Without the API the
// page says once that the screen may sleep.
class ScreenAwake {
  constructor(onEvent, onUnsupported) {
    this.onEvent = onEvent || (() => {});
    this.onUnsupported = onUnsupported || (() => {});
    this.supported = Boolean(navigator.wakeLock && navigator.wakeLock.request);
    this.wanted = false;
    this.sentinel = null;  // the browser's WakeLockSentinel while we hold one
    this.asking = null;    // a request under way
    this.told = false;
  }

  held() { return Boolean(this.sentinel && !this.sentinel.released); }

  want(on) {
    if (on === this.wanted) return on ? this.refresh() : undefined;
    this.wanted = on;
    if (on) return this.refresh();
    return this.release();
  }

  // Take the lock if it is wanted, the page is visible and none is held (after a hide, the
  // browser has released it).
  async refresh() {
    if (!this.wanted || document.visibilityState !== 'visible' || this.held() || this.asking) return;
    if (!this.supported) {
      if (!this.told) { this.told = true; this.onUnsupported(); this.onEvent('wake-unsupported'); }
      return;
    }
    this.asking = navigator.wakeLock.request('screen');
    try {
      const sentinel = await this.asking;
      sentinel.addEventListener('release', () => this.onEvent('wake-released'));
      this.sentinel = sentinel;
      this.onEvent('wake-held');
      if (!this.wanted) await this.release();  // the session ended while the request was made
    } catch (err) {  // refused: battery saver, a page not visible, a permission policy
      this.onEvent('wake-refused', { error: err.name || String(err) });
    } finally {
      this.asking = null;
    }
  }

  async release() {
    const sentinel = this.sentinel;
    this.sentinel = null;
    if (sentinel && !sentinel.released) await sentinel.release();
  }
}

// The service worker caches the page's files (never the coach's answers, the socket or history).
// A browser without service workers, or a page on a certificate it does not trust, goes on
// without: the page works as before, it only does not open offline.
function registerWorker(onEvent) {
  if (!('serviceWorker' in navigator)) { onEvent('sw-unsupported'); return; }
  navigator.serviceWorker.register('/sw.js', { scope: '/' })
    .then(() => navigator.serviceWorker.ready)
    .then(() => onEvent('sw-ready'))
    .catch((err) => onEvent('sw-failed', { error: String(err) }));
}

window.ScreenAwake = ScreenAwake;
window.registerWorker = registerWorker;
