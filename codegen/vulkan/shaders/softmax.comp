// softmax.comp - softmax, log-softmax and scaled masked softmax of rows.
//
// One workgroup per row. Row r's elements sit at base + k * pc.inner with
// base = (r / pc.inner) * pc.len * pc.inner + r % pc.inner. Scores are
// x * pc.scale plus an additive mask; a false keep-mask entry or a key the
// causal alignment hides is -inf. Masked entries get exactly 0 (log: -inf);
// a row whose scores are all -inf is written as zeros (log: -inf).
// Macros: LOG 0/1; MASK_KIND 0 none / 1 additive / 2 keep-mask; CAUSAL 0/1.
// With a mask or causal alignment the axis is the last (pc.inner == 1); the
// row index unravels over up to three row dims (pc.rowDim1, pc.rowDim2 are
// the inner two) for the mask's strides, and the query index is
// r % pc.sq.

float score(uint row, uint mBase, uint base, uint k) {
  float s = inBuf.d[base + k * pc.inner] * pc.scale;
#if CAUSAL
  if (int(k) > int(row % pc.sq) + pc.causalOffset)
    return ATTNC_NEG_INF;
#endif
#if MASK_KIND == 1
  s += maskBuf.d[mBase + k * pc.mK];
#elif MASK_KIND == 2
  if (maskBuf.d[mBase + k * pc.mK] == 0u)
    return ATTNC_NEG_INF;
#endif
  return s;
}

void main() {
  uint row = attncGroupIndex();
  if (row >= pc.rows)
    return;
  uint lid = gl_LocalInvocationID.x;
  uint base = (row / pc.inner) * pc.len * pc.inner + row % pc.inner;
  uint mBase = 0u;
#if MASK_KIND != 0
  uint r2 = row % pc.rowDim2;
  uint r1 = (row / pc.rowDim2) % pc.rowDim1;
  uint r0 = row / (pc.rowDim2 * pc.rowDim1);
  mBase = r0 * pc.mS0 + r1 * pc.mS1 + r2 * pc.mS2;
#endif

  float mx = ATTNC_NEG_INF;
  for (uint k = lid; k < pc.len; k += RED_SIZE)
    mx = combineMaxF(mx, score(row, mBase, base, k));
  mx = workgroupMaxF(mx);
  float sum = 0.0;
  if (mx != ATTNC_NEG_INF)
    for (uint k = lid; k < pc.len; k += RED_SIZE) {
      float s = score(row, mBase, base, k);
      sum += s == ATTNC_NEG_INF ? 0.0 : exp(s - mx);
    }
  sum = workgroupSumF(sum);
#if LOG
  float shift = mx == ATTNC_NEG_INF ? 0.0 : mx + log(sum);
#else
  float inv = sum > 0.0 ? 1.0 / sum : 0.0;
#endif
  for (uint k = lid; k < pc.len; k += RED_SIZE) {
    float s = score(row, mBase, base, k);
#if LOG
    float y = s == ATTNC_NEG_INF ? ATTNC_NEG_INF : s - shift;
#else
    float y = s == ATTNC_NEG_INF || mx == ATTNC_NEG_INF ? 0.0 : exp(s - mx) * inv;
#endif
    outBuf.d[base + k * pc.inner] = y;
  }
}
