// The page's microphone: 16 kHz mono through the capture worklet (capture-worklet.js), and its
// recovery after the phone was locked or the tab hidden, when a browser may suspend or close the
// audio context and end the microphone's track.
'use strict';

const MIC_CONSTRAINTS = {
  audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
};

// Resume a suspended (or, on iOS, interrupted) context; a browser that wants a tap first leaves
// the promise pending, so it is given RESUME_MS. Returns whether the context runs.
const RESUME_MS = 1500;
async function resumeAudio(ctx) {
  if (!ctx || ctx.state === 'closed') return false;
  if (ctx.state !== 'running') {
    await Promise.race([ctx.resume().catch(() => {}), new Promise((ok) => setTimeout(ok, RESUME_MS))]);
  }
  return ctx.state === 'running';
}

class Mic {
  // onChunk({pcm, peak}) is called for every 20 ms chunk: 320 samples of s16le in an ArrayBuffer.
  constructor(onChunk) {
    this.onChunk = onChunk;
    this.ctx = null;     // the capture context, 16 kHz where the browser allows it
    this.stream = null;  // the microphone's MediaStream
    this.source = null;  // its source node in ctx
    this.node = null;    // the capture worklet's node
    this.reopened = 0;   // tracks opened again after the browser ended one
  }

  get track() { return this.stream ? this.stream.getAudioTracks()[0] : null; }

  // The microphone, a context and the worklet. Throws (NotAllowedError ...) when refused.
  async open() {
    this.stream = await navigator.mediaDevices.getUserMedia(MIC_CONSTRAINTS);
    await this.attach();
  }

  // A context for the stream (a new one if there is none or it was closed), the worklet in it,
  // and the stream's source connected to the worklet.
  async attach() {
    if (!this.ctx || this.ctx.state === 'closed') {
      this.node = null;
      try {  // a 16 kHz context spares the resampling; Firefox refuses a microphone at another rate
        this.ctx = new AudioContext({ sampleRate: 16000 });
        this.source = this.ctx.createMediaStreamSource(this.stream);
      } catch (err) {
        if (this.ctx) this.ctx.close();
        this.ctx = new AudioContext();  // the device's rate: the worklet averages it to 16 kHz
        this.source = null;
      }
    }
    if (!this.node) {
      await this.ctx.audioWorklet.addModule('/static/capture-worklet.js');
      this.node = new AudioWorkletNode(this.ctx, 'capture');
      this.node.port.onmessage = ({ data }) => this.onChunk(data);
    }
    if (this.source && this.source.mediaStream !== this.stream) {
      this.source.disconnect();
      this.source = null;
    }
    if (!this.source) this.source = this.ctx.createMediaStreamSource(this.stream);
    this.source.connect(this.node);
  }

  // Back after the page was hidden or the phone locked: a track the browser ended is opened
  // again, a closed context is made again with its worklet, a suspended one resumed. Returns
  // whether the microphone is running.
  async recover() {
    if (!this.stream) return false;
    const track = this.track;
    if (!track || track.readyState === 'ended') {
      this.stream = await navigator.mediaDevices.getUserMedia(MIC_CONSTRAINTS);
      this.reopened += 1;
      await this.attach();
    } else if (!this.ctx || this.ctx.state === 'closed') {
      await this.attach();
    }
    await resumeAudio(this.ctx);
    return this.running();
  }

  running() {
    const track = this.track;
    return Boolean(this.ctx && this.ctx.state === 'running' && track && track.readyState === 'live');
  }
}

window.Mic = Mic;
window.resumeAudio = resumeAudio;
