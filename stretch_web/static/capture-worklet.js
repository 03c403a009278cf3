// Microphone capture in the audio thread: mono, 16 kHz, 16-bit PCM, posted in 20 ms chunks.
// The context normally runs at 16 kHz already; at another rate the input is averaged down
// (a box filter over each output sample's span, which also keeps aliasing down).
const OUT_RATE = 16000;
const CHUNK = 320; // 20 ms at 16 kHz

class Capture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / OUT_RATE; // input samples per output sample
    this.acc = 0;  // sum of the input samples of the output sample being made
    this.span = 0; // how many input samples it has so far
    this.chunk = new Int16Array(CHUNK);
    this.n = 0;
    this.peak = 0;
  }

  push(x) {
    const s = Math.max(-1, Math.min(1, x));
    const v = s < 0 ? s * 0x8000 : s * 0x7fff;
    this.chunk[this.n++] = v;
    this.peak = Math.max(this.peak, Math.abs(v));
    if (this.n === CHUNK) {
      this.port.postMessage({ pcm: this.chunk.buffer, peak: this.peak }, [this.chunk.buffer]);
      this.chunk = new Int16Array(CHUNK);
      this.n = 0;
      this.peak = 0;
    }
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!channel) return true;
    if (this.step === 1) {
      for (let i = 0; i < channel.length; i++) this.push(channel[i]);
      return true;
    }
    for (let i = 0; i < channel.length; i++) {
      this.acc += channel[i];
      this.span += 1;
      if (this.span >= this.step) {
        this.push(this.acc / this.span);
        this.acc = 0;
        this.span -= this.step;  // keeps the fractional part: the average rate is exact
        if (this.span < 0) this.span = 0;
      }
    }
    return true;
  }
}

registerProcessor('capture', Capture);
