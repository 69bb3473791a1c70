// layer_norm.comp - (x - mean) / sqrt(var + eps) * scale + bias per row.
//
// One workgroup per row of pc.len contiguous elements; the mean and the
// (biased) variance of the centred values are two passes over the row, as
// the oracle computes them. Macros: HAS_SCALE, HAS_BIAS.

void main() {
  uint row = attncGroupIndex();
  if (row >= pc.rows)
    return;
  uint lid = gl_LocalInvocationID.x;
  uint base = row * pc.len;
  float sum = 0.0;
  for (uint k = lid; k < pc.len; k += RED_SIZE)
    sum += inBuf.d[base + k];
  float mean = workgroupSumF(sum) / float(pc.len);
  float sq = 0.0;
  for (uint k = lid; k < pc.len; k += RED_SIZE) {
    float c = inBuf.d[base + k] - mean;
    sq += c * c;
  }
  float var = workgroupSumF(sq) / float(pc.len);
  float inv = 1.0 / sqrt(var + pc.epsilon);
  for (uint k = lid; k < pc.len; k += RED_SIZE) {
    float y = (inBuf.d[base + k] - mean) * inv;
#if HAS_SCALE
    y *= scaleBuf.d[k];
#endif
#if HAS_BIAS
    y += biasBuf.d[k];
#endif
    outBuf.d[base + k] = y;
  }
}
