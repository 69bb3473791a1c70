// math.glsl - elementwise functions GLSL lacks or leaves undefined where the
// oracle (C's <cmath> in double) defines them.

float attncMax(float a, float b) { return isnan(a) || isnan(b) ? a + b : max(a, b); }
float attncMin(float a, float b) { return isnan(a) || isnan(b) ? a + b : min(a, b); }

// tanh without the overflow of (e^2x - 1) / (e^2x + 1) for large |x|.
float attncTanh(float x) {
  float t = exp(-2.0 * abs(x));
  float r = (1.0 - t) / (1.0 + t);
  return x < 0.0 ? -r : (x > 0.0 ? r : x);
}

// erf: Abramowitz & Stegun 7.1.26, absolute error below 1.5e-7.
float attncErf(float x) {
  float a = abs(x);
  float t = 1.0 / (1.0 + 0.3275911 * a);
  float p = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t -
             0.284496736) * t + 0.254829592) * t;
  float y = 1.0 - p * exp(-a * a);
  return x < 0.0 ? -y : (x > 0.0 ? y : x);
}

// pow as C defines it: negative bases with integral exponents, 0^0 = 1.
float attncPow(float x, float y) {
  if (y == 0.0)
    return 1.0;
  if (y == 1.0)
    return x;
  if (y == 2.0)
    return x * x;
  if (y == 3.0)
    return x * x * x;
  if (y == 0.5)
    return sqrt(x);
  if (x == 0.0)
    return y > 0.0 ? 0.0 : 1.0 / 0.0;
  float r = exp2(y * log2(abs(x)));
  if (x < 0.0) {
    if (y != floor(y))
      return 0.0 / 0.0;
    if (mod(y, 2.0) != 0.0)
      r = -r;
  }
  return r;
}

// Integer power by squaring; a negative exponent gives 0.
int attncIPow(int x, int y) {
  if (y < 0)
    return 0;
  int r = 1;
  for (int i = 0; i < 32 && y > 0; ++i) {
    if ((y & 1) != 0)
      r *= x;
    x *= x;
    y >>= 1;
  }
  return r;
}
