// gather.comp - out[p, t, q] = table[p, index(t), q] (ONNX Gather).
//
// Indices count from the end when negative; one outside [-n, n) writes 0
// and reports kStatusIndexOutOfRange with this dispatch's number, the index
// and n through the status buffer.

void main() {
  uint i = attncGroupIndex() * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
  if (i >= pc.total)
    return;
  uint q = i % pc.post;
  uint t = (i / pc.post) % pc.count;
  uint p = i / (pc.post * pc.count);
  int raw = indexBuf.d[t];
  int index = raw < 0 ? raw + int(pc.n) : raw;
  if (index < 0 || index >= int(pc.n)) {
    if (atomicCompSwap(statusBuf.d[0], 0u, 1u) == 0u) {
      statusBuf.d[1] = pc.dispatch;
      statusBuf.d[2] = uint(raw);
      statusBuf.d[3] = pc.n;
    }
    outBuf.d[i] = TYPE(0);
    return;
  }
  outBuf.d[i] = tableBuf.d[(p * pc.n + uint(index)) * pc.post + q];
}
