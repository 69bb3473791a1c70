// coopmat.glsl - cooperative-matrix fragments for the tensor-core kernels
// (attention_coopmat.comp, matmul_coopmat.comp), real or emulated.
//
// A warp is 32 consecutive invocations of the workgroup (WARPS of them);
// `warp` and `lane` are set by main. Fragments are 16 x 16: FRAG_A holds
// f16 operands, FRAG_ACC f32 accumulators. With COOPMAT_EMULATED 0 they are
// GL_NV_cooperative_matrix types at subgroup scope (the runtime runs this
// form only on 32-lane subgroups); with 1 they are the 8 elements each lane
// holds (row lane / 2, columns 8 * (lane % 2) + c), products go through a
// per-warp scratch, and WARP_SYNC is a workgroup barrier, so every warp
// must take the same path through code that synchronises.

#if COOPMAT_EMULATED
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#else
#extension GL_NV_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_KHR_shader_subgroup_basic : require
#endif

const uint W = 32u; // invocations per warp

// Loops over fragments: unrolled for cooperative matrices, which live in
// registers; rolled in the emulated form, which lavapipe would otherwise
// spend minutes compiling.
#if COOPMAT_EMULATED
#define FRAG_LOOP [[dont_unroll]]
#else
#define FRAG_LOOP [[unroll]]
#endif

#if COOPMAT_EMULATED
// A fragment: the 8 elements of a 16 x 16 matrix that lane l holds, row
// l / 2, columns 8 * (l % 2) + c.
#define FRAG_A float[8]
#define FRAG_ACC float[8]
shared float mulScratch[WARPS * 512u];
#define WARP_SYNC() \
  memoryBarrierShared(); \
  barrier()
#else
#define FRAG_A fcoopmatNV<16, gl_ScopeSubgroup, 16, 16>
#define FRAG_ACC fcoopmatNV<32, gl_ScopeSubgroup, 16, 16>
#define WARP_SYNC() \
  subgroupMemoryBarrierShared(); \
  subgroupBarrier()
#endif

uint warp, lane;

#if COOPMAT_EMULATED
void fragZero(out FRAG_ACC c) {
  [[unroll]] for (uint e = 0u; e < 8u; ++e)
    c[e] = 0.0;
}
// Element (r, c) of a matrix in `arr` at `offset` with row stride `stride`
// (column-major: (c, r)).
#define FRAG_LOAD(frag, arr, offset, stride, colMajor) \
  { \
    uint r_ = lane >> 1u, c0_ = (lane & 1u) * 8u; \
    [[unroll]] for (uint e_ = 0u; e_ < 8u; ++e_) \
      frag[e_] = float(colMajor ? arr[(offset) + (c0_ + e_) * (stride) + r_] \
                                : arr[(offset) + r_ * (stride) + c0_ + e_]); \
  }
#define FRAG_STORE(frag, arr, offset, stride) \
  { \
    uint r_ = lane >> 1u, c0_ = (lane & 1u) * 8u; \
    [[unroll]] for (uint e_ = 0u; e_ < 8u; ++e_) \
      arr[(offset) + r_ * (stride) + c0_ + e_] = frag[e_]; \
  }
// c += a.b: both operands go through the warp's scratch, then each lane
// computes its 8 outputs.
void fragMulAdd(FRAG_A a, FRAG_A b, inout FRAG_ACC c) {
  uint base = warp * 512u, r = lane >> 1u, c0 = (lane & 1u) * 8u;
  [[unroll]] for (uint e = 0u; e < 8u; ++e) {
    mulScratch[base + r * 16u + c0 + e] = a[e];
    mulScratch[base + 256u + r * 16u + c0 + e] = b[e];
  }
  WARP_SYNC();
  [[unroll]] for (uint e = 0u; e < 8u; ++e) {
    float s = c[e];
    for (uint k = 0u; k < 16u; ++k)
      s = fma(mulScratch[base + r * 16u + k],
              mulScratch[base + 256u + k * 16u + c0 + e], s);
    c[e] = s;
  }
  WARP_SYNC();
}
#else
void fragZero(out FRAG_ACC c) { c = FRAG_ACC(0.0); }
#define FRAG_LOAD(frag, arr, offset, stride, colMajor) \
  coopMatLoadNV(frag, arr, offset, stride, colMajor)
#define FRAG_STORE(frag, arr, offset, stride) \
  coopMatStoreNV(frag, arr, offset, stride, false)
void fragMulAdd(FRAG_A a, FRAG_A b, inout FRAG_ACC c) {
  c = coopMatMulAddNV(a, b, c);
}
#endif

