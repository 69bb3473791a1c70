//===- GlslEmitter.cpp - compute shaders from a schedule ------------------===//
//
// The kernels with a fixed algorithm (attention, matmul, softmax and its
// fused form, layer norm, reduce, gather) fill a template's push constants,
// bindings and launch; elementwise trees and data movement are generated in
// GlslElementwise.cpp. Shapes go in push constants so that kernels of the
// same structure share one shader; tile sizes are specialisation constants.
//
//===----------------------------------------------------------------------===//

#include "codegen/vulkan/GlslEmitter.h"

#include "codegen/vulkan/GlslKernels.h"
#include "codegen/vulkan/ShaderSources.h"
#include "ir/AttnOps.h"
#include "ir/ShapeUtils.h"
#include "support/HostTensor.h"

#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace attnc;
using namespace attnc::vk;

//===----------------------------------------------------------------------===//
// Shared helpers (GlslKernels.h)
//===----------------------------------------------------------------------===//

llvm::Error vk::kernelError(Operation *op, const llvm::Twine &message) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << op->getLoc() << ": '" << op->getName() << "': " << message;
  return llvm::createStringError(llvm::inconvertibleErrorCode(), os.str());
}

std::string vk::describeKernel(const Kernel &kernel) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (kernel.copyToOutput >= 0)
    os << "copy to output " << kernel.copyToOutput;
  else
    os << kernel.root->getName() << " at " << kernel.root->getLoc();
  return os.str();
}

ArrayRef<int64_t> vk::shapeOf(Value v) {
  return v.getType().cast<RankedTensorType>().getShape();
}

SmallVector<int64_t, 6> vk::contiguousStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t, 6> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

SmallVector<int64_t, 6> vk::broadcastStrides(ArrayRef<int64_t> from,
                                             ArrayRef<int64_t> to) {
  SmallVector<int64_t, 6> natural = contiguousStrides(from);
  SmallVector<int64_t, 6> strides(to.size(), 0);
  int64_t offset = static_cast<int64_t>(to.size()) - from.size();
  for (size_t i = 0; i < from.size(); ++i)
    strides[offset + i] = from[i] == 1 ? 0 : natural[i];
  return strides;
}

std::string vk::storageType(Type element) {
  if (element.isInteger(1))
    return "uint";
  if (element.isa<IntegerType>())
    return "int";
  return element.isF16() ? "float16_t" : "float";
}

int64_t vk::elementDeviceBytes(Type element) {
  std::optional<DTypeKind> dtype = dtypeFromType(element);
  return deviceElementBytes(
      static_cast<int32_t>(dtype ? *dtype : DTypeKind::F32));
}

int64_t vk::deviceBytes(Value value) {
  auto type = value.getType().cast<RankedTensorType>();
  return type.getNumElements() * elementDeviceBytes(type.getElementType());
}

void vk::useVec4(ShaderBinding &binding) {
  if (binding.elementType == "float")
    binding.elementType = "vec4";
}

DescriptorKind vk::texelKind(Type element, bool vec4) {
  if (!element.isa<FloatType>())
    return DescriptorKind::TexelUint;
  if (element.isF16())
    return vec4 ? DescriptorKind::TexelHalf4 : DescriptorKind::TexelHalf;
  return vec4 ? DescriptorKind::TexelFloat4 : DescriptorKind::TexelFloat;
}

uint32_t vk::floatBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  return bits;
}

ShaderBinding vk::bindValue(const Schedule &schedule,
                            const WeightOffsets &weights, Value value,
                            std::string name, bool writes) {
  const BufferRef &ref = schedule.getBuffer(value);
  ShaderBinding binding;
  binding.name = std::move(name);
  binding.elementType =
      storageType(value.getType().cast<RankedTensorType>().getElementType());
  binding.writes = writes;
  binding.bytes = ref.bytes;
  binding.offset = ref.offset;
  binding.index = ref.index;
  switch (ref.kind) {
  case BufferRef::Kind::Input:
    binding.buffer = BufferKind::Input;
    break;
  case BufferRef::Kind::Output:
    binding.buffer = BufferKind::Output;
    break;
  case BufferRef::Kind::Constant:
    binding.buffer = BufferKind::Weights;
    binding.offset = weights[ref.index];
    binding.index = 0;
    break;
  case BufferRef::Kind::Arena:
    binding.buffer = BufferKind::Arena;
    binding.index = 0;
    break;
  }
  return binding;
}

ShaderBinding vk::bindTexels(const Schedule &schedule,
                             const WeightOffsets &weights, Value value,
                             std::string name, bool vec4) {
  ShaderBinding b =
      bindValue(schedule, weights, value, std::move(name), /*writes=*/false);
  b.kind = texelKind(value.getType().cast<RankedTensorType>().getElementType(),
                     vec4);
  return b;
}

void vk::addPush(KernelProgram &program, llvm::StringRef name, int64_t value) {
  program.push.push_back({name.str(), "uint",
                          static_cast<uint32_t>(static_cast<uint64_t>(value))});
}

void vk::addPushInt(KernelProgram &program, llvm::StringRef name,
                    int64_t value) {
  program.push.push_back({name.str(), "int", static_cast<uint32_t>(value)});
}

void vk::addPushFloat(KernelProgram &program, llvm::StringRef name,
                      float value) {
  program.push.push_back({name.str(), "float", floatBits(value)});
}

std::array<uint32_t, 3> vk::flatGroups(int64_t groups) {
  if (groups <= 0)
    return {0, 1, 1};
  int64_t x = std::min<int64_t>(groups, 65535);
  return {static_cast<uint32_t>(x), static_cast<uint32_t>((groups + x - 1) / x),
          1};
}

llvm::Error vk::checkElements(Operation *op, Value value) {
  auto type = value.getType().cast<RankedTensorType>();
  if (type.getNumElements() >= (int64_t(1) << 31))
    return kernelError(op, "a tensor of " + llvm::Twine(type.getNumElements()) +
                               " elements is too large for the Vulkan "
                               "target (32-bit indexing)");
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

namespace {

/// Element strides of dims (B, H, S) of an attention operand (its last dim
/// is contiguous): a view transpose's strides are its input's, permuted.
std::array<int64_t, 3> headStrides(const Schedule &schedule, Value v) {
  SmallVector<int64_t, 6> strides = contiguousStrides(shapeOf(v));
  if (auto t = v.getDefiningOp<attn::TransposeOp>();
      t && schedule.viewTransposes.count(t)) {
    SmallVector<int64_t, 6> in = contiguousStrides(shapeOf(t.getInput()));
    for (auto [i, p] : llvm::enumerate(t.getPerm()))
      strides[i] = in[p];
  }
  return {strides[0], strides[1], strides[2]};
}

/// Strides of the attention result's (B, H, S) dims in the buffer it writes:
/// its own, or through the output view transpose.
std::array<int64_t, 3> outputStrides(Value written, attn::AttentionOp op) {
  if (written == op.getResult()) {
    SmallVector<int64_t, 6> s = contiguousStrides(shapeOf(written));
    return {s[0], s[1], s[2]};
  }
  auto t = written.getDefiningOp<attn::TransposeOp>();
  SmallVector<int64_t, 6> viewStrides = contiguousStrides(shapeOf(written));
  std::array<int64_t, 4> strides = {};
  for (auto [i, p] : llvm::enumerate(t.getPerm()))
    strides[p] = viewStrides[i];
  return {strides[0], strides[1], strides[2]};
}

/// The launch of the cooperative-matrix attention (attention_coopmat.comp).
struct CoopmatTiling {
  uint32_t warps = 4, keys = 16;
  bool doubleBuffer = false;
  uint32_t sharedBytes = 0;
};

/// The largest key block (64, 32 or 16 keys), double-buffered when it
/// fits, whose shared memory stays within 48 KiB (the common limit of
/// GPUs with cooperative matrices) -- 32 KiB for the emulated form, which
/// runs on lavapipe. Head dims in 16-column chunks.
CoopmatTiling coopmatTiling(uint32_t d16, uint32_t dv16, bool emulated) {
  const uint32_t budget = emulated ? 32768 : 49152;
  CoopmatTiling t;
  for (uint32_t keys : {64u, 32u, 16u})
    for (bool twice : {true, false}) {
      uint32_t tiles = (twice ? 2 : 1) * keys * 16 * (d16 + dv16) * 2;
      // Scores (f32), probabilities (f16) and the row exchange per warp,
      // plus the emulated products' operand scratch.
      uint32_t perWarp =
          16 * keys * 4 + 16 * keys * 2 + 32 * 4 + (emulated ? 512 * 4 : 0);
      t = {4, keys, twice, tiles + t.warps * perWarp};
      if (t.sharedBytes <= budget)
        return t;
    }
  return t;
}

llvm::Expected<KernelProgram> emitAttention(const Schedule &schedule,
                                            const WeightOffsets &weights,
                                            const Kernel &kernel,
                                            attn::AttentionOp op) {
  ArrayRef<int64_t> qs = shapeOf(op.getQuery()), ks = shapeOf(op.getKey()),
                    vs = shapeOf(op.getValue());
  int64_t batch = qs[0], hq = qs[1], sq = qs[2], d = qs[3];
  int64_t hkv = ks[1], sk = ks[2], dv = vs[3];
  for (Value v : {op.getQuery(), op.getKey(), op.getValue(), op.getResult()})
    if (llvm::Error e = checkElements(op, v))
      return std::move(e);
  if (sq == 0 || sk == 0 || d == 0 || dv == 0 || batch == 0 || hq == 0) {
    KernelProgram empty;
    empty.family = "empty";
    return empty;
  }
  if (d > 512 || dv > 512)
    return kernelError(op, "head dims above 512 are not supported by the "
                           "Vulkan attention kernel (got " +
                               llvm::Twine(std::max(d, dv)) + ")");
  if (hq > 65535 || batch > 65535)
    return kernelError(op, "more than 65535 heads or batches");

  std::array<int64_t, 3> q = headStrides(schedule, op.getQuery()),
                         k = headStrides(schedule, op.getKey()),
                         v = headStrides(schedule, op.getValue());
  Value written = kernel.outputs[0];
  std::array<int64_t, 3> o = outputStrides(written, op);

  KernelProgram p;
  p.family = "attention";
  p.subgroupVariant = true;
  // Cooperative-matrix variants compute on f16 operands, so they are built
  // only for f16 data, whose rounding they then add nothing to.
  auto isHalf = [](Value v) {
    return v.getType().cast<RankedTensorType>().getElementType().isF16();
  };
  p.coopmatVariant = isHalf(op.getQuery()) && isHalf(op.getKey()) &&
                     isHalf(op.getValue()) && d <= 256 && dv <= 256;
  p.body = std::string(shaders::kAttentionCommon) + "\n" +
           (p.coopmatVariant
                ? "#if ATTNC_COOPMAT\n" + std::string(shaders::kCoopmat) +
                      "\n" + shaders::kAttentionCoopmat + "#else\n" +
                      shaders::kAttention + "#endif\n"
                : std::string(shaders::kAttention));
  // Rows read as float4 texels and written as vec4s need 4-aligned rows and
  // head dims.
  bool vec4 = d % 4 == 0 && dv % 4 == 0;
  for (int64_t s : {q[0], q[1], q[2], k[0], k[1], k[2], v[0], v[1], v[2], o[0],
                    o[1], o[2]})
    vec4 = vec4 && s % 4 == 0;
  p.bindings.push_back(bindValue(schedule, weights, written, "outBuf", true));
  if (vec4)
    useVec4(p.bindings.back());
  p.bindings.push_back(
      bindTexels(schedule, weights, op.getQuery(), "qTex", vec4));
  p.bindings.push_back(
      bindTexels(schedule, weights, op.getKey(), "kTex", vec4));
  p.bindings.push_back(
      bindTexels(schedule, weights, op.getValue(), "vTex", vec4));
  int maskKind = 0;
  std::array<int64_t, 4> ms = {0, 0, 0, 0};
  if (Value mask = op.getMask()) {
    auto element = mask.getType().cast<RankedTensorType>().getElementType();
    maskKind = element.isInteger(1) ? 2 : 1;
    p.bindings.push_back(bindTexels(schedule, weights, mask, "maskTex", false));
    SmallVector<int64_t, 6> s =
        broadcastStrides(shapeOf(mask), {batch, hq, sq, sk});
    ms = {s[0], s[1], s[2], s[3]};
  }
  int causal = op.getCausal() == attn::CausalKind::none ? 0 : 1;
  int64_t causalOffset =
      op.getCausal() == attn::CausalKind::bottom_right ? sk - sq : 0;
  p.defines = {{"MASK_KIND", std::to_string(maskKind)},
               {"CAUSAL", std::to_string(causal)},
               {"KV_VEC4", vec4 ? "1" : "0"}};

  for (auto [name, value] :
       std::initializer_list<std::pair<const char *, int64_t>>{
           {"sq", sq},
           {"sk", sk},
           {"d", d},
           {"dv", dv},
           {"kvGroup", hq / hkv},
           {"qB", q[0]},
           {"qH", q[1]},
           {"qS", q[2]},
           {"kB", k[0]},
           {"kH", k[1]},
           {"kS", k[2]},
           {"vB", v[0]},
           {"vH", v[1]},
           {"vS", v[2]},
           {"oB", o[0]},
           {"oH", o[1]},
           {"oS", o[2]},
           {"mB", ms[0]},
           {"mH", ms[1]},
           {"mQ", ms[2]},
           {"mK", ms[3]}})
    addPush(p, name, value);
  addPushInt(p, "causalOffset", causalOffset);
  addPushFloat(p, "scale",
               static_cast<float>(op.getEffectiveScale() * M_LOG2E));

  uint32_t d4 = (d + 3) / 4, dv4 = (dv + 3) / 4;
  p.workgroup = "local_size_x = 8, local_size_x_id = 0";
  p.specConstants = {{0, "", 8},
                     {1, "ROWS", 8},
                     {2, "KEYS", 8},
                     {3, "D4", 16},
                     {4, "DV4", 16}};
  if (p.coopmatVariant)
    p.specConstants.insert(p.specConstants.end(), {{5, "WARPS", 4},
                                                   {6, "BC", 32},
                                                   {7, "D16", 4},
                                                   {8, "DV16", 4},
                                                   {9, "DOUBLE_BUF", 0},
                                                   {10, "HG", 1}});
  auto launch = [&](VariantKind kind, uint32_t lanes, uint32_t rows,
                    uint32_t keys) {
    KernelVariant v;
    v.kind = kind;
    v.groups = {static_cast<uint32_t>((sq + lanes * rows - 1) / (lanes * rows)),
                static_cast<uint32_t>(hq), static_cast<uint32_t>(batch)};
    v.spec = {{0, lanes}, {1, rows}, {2, keys}, {3, d4}, {4, dv4}};
    return v;
  };
  // Portable (CPU devices such as lavapipe, where a workgroup runs as SIMD
  // lanes): 8 lanes of up to 8 rows each keep the query and output rows in
  // registers, so each K/V texel fetched serves 8 * ROWS rows; fewer rows
  // for long heads keep that state small. Measured on lavapipe.
  uint32_t rows = d4 + dv4 <= 32    ? 8
                  : d4 + dv4 <= 64  ? 4
                  : d4 + dv4 <= 128 ? 2
                                    : 1;
  KernelVariant portable = launch(VariantKind::Portable, 8, rows, 8);
  // Subgroup (GPUs): 64 invocations of one row each share every staged
  // K/V tile of up to 32 keys (at most 16 KiB of shared memory).
  uint32_t tileKeys = std::clamp<uint32_t>(16384 / (16 * (d4 + dv4)), 1, 32);
  KernelVariant subgroup = launch(VariantKind::Subgroup, 64, 1, tileKeys);
  subgroup.sharedBytes = 16 * tileKeys * (d4 + dv4);
  p.variants = {portable, subgroup};
  if (p.coopmatVariant) {
    uint32_t d16 = (d + 15) / 16, dv16 = (dv + 15) / 16;
    for (VariantKind kind :
         {VariantKind::Coopmat, VariantKind::CoopmatEmulated}) {
      CoopmatTiling t =
          coopmatTiling(d16, dv16, kind == VariantKind::CoopmatEmulated);
      // Query heads of one kv head share the workgroup's K/V blocks: the
      // largest power of two dividing both the group and the warps.
      uint32_t heads = 1;
      while (heads * 2 <= t.warps && (hq / hkv) % (heads * 2) == 0)
        heads *= 2;
      uint32_t rows = 16 * (t.warps / heads);
      KernelVariant v;
      v.kind = kind;
      v.groups = {static_cast<uint32_t>((sq + rows - 1) / rows),
                  static_cast<uint32_t>(hq / heads),
                  static_cast<uint32_t>(batch)};
      v.spec = {{0, 32 * t.warps},
                {1, 1},
                {2, 1},
                {3, d4},
                {4, dv4},
                {5, t.warps},
                {6, t.keys},
                {7, d16},
                {8, dv16},
                {9, t.doubleBuffer ? 1u : 0u},
                {10, heads}};
      v.sharedBytes = t.sharedBytes;
      p.variants.push_back(v);
    }
  }
  return p;
}

//===----------------------------------------------------------------------===//
// Matmul
//===----------------------------------------------------------------------===//

/// Merges batch dims that are contiguous in every operand; at most `limit`
/// remain (outermost first). Returns false when more remain.
bool coalesceBatch(SmallVector<int64_t, 6> &dims,
                   SmallVector<SmallVector<int64_t, 6>, 3> &strides,
                   size_t limit) {
  SmallVector<int64_t, 6> outDims;
  SmallVector<SmallVector<int64_t, 6>, 3> outStrides(strides.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 1)
      continue;
    bool merge = !outDims.empty();
    for (size_t s = 0; merge && s < strides.size(); ++s)
      merge = outStrides[s].back() == strides[s][i] * dims[i];
    if (merge) {
      outDims.back() *= dims[i];
      for (size_t s = 0; s < strides.size(); ++s)
        outStrides[s].back() = strides[s][i];
      continue;
    }
    outDims.push_back(dims[i]);
    for (size_t s = 0; s < strides.size(); ++s)
      outStrides[s].push_back(strides[s][i]);
  }
  dims = outDims;
  strides = outStrides;
  return dims.size() <= limit;
}

llvm::Expected<KernelProgram> emitMatmul(const Schedule &schedule,
                                         const WeightOffsets &weights,
                                         const Kernel &kernel,
                                         attn::MatmulOp op) {
  ArrayRef<int64_t> ls = shapeOf(op.getLhs()), rs = shapeOf(op.getRhs()),
                    cs = shapeOf(op.getResult());
  for (Value v : {op.getLhs(), op.getRhs(), op.getResult()})
    if (llvm::Error e = checkElements(op, v))
      return std::move(e);
  int64_t rank = cs.size();
  int64_t m = cs[rank - 2], n = cs[rank - 1];
  int64_t k = op.getTransposeLhs() ? ls[ls.size() - 2] : ls.back();
  SmallVector<int64_t, 6> lStr = contiguousStrides(ls),
                          rStr = contiguousStrides(rs),
                          cStr = contiguousStrides(cs);
  int64_t lr = ls.size(), rr = rs.size();
  // (row, col) element strides of A = op(lhs) [M, K] and B = op(rhs) [K, N].
  int64_t aRow = op.getTransposeLhs() ? lStr[lr - 1] : lStr[lr - 2];
  int64_t aCol = op.getTransposeLhs() ? lStr[lr - 2] : lStr[lr - 1];
  int64_t bRow = op.getTransposeRhs() ? rStr[rr - 1] : rStr[rr - 2];
  int64_t bCol = op.getTransposeRhs() ? rStr[rr - 2] : rStr[rr - 1];

  // Batch dims of the result, with each operand's (broadcast) strides.
  SmallVector<int64_t, 6> dims(cs.begin(), cs.end() - 2);
  SmallVector<SmallVector<int64_t, 6>, 3> strides(3);
  for (size_t i = 0; i < dims.size(); ++i) {
    auto batchStride = [&](ArrayRef<int64_t> shape,
                           ArrayRef<int64_t> str) -> int64_t {
      int64_t j =
          static_cast<int64_t>(i) - (static_cast<int64_t>(dims.size()) -
                                     (static_cast<int64_t>(shape.size()) - 2));
      return j < 0 || shape[j] == 1 ? 0 : str[j];
    };
    strides[0].push_back(batchStride(ls, lStr));
    strides[1].push_back(batchStride(rs, rStr));
    strides[2].push_back(cStr[i]);
  }
  int64_t batchCount = 1;
  for (int64_t dim : dims)
    batchCount *= dim;
  if (!coalesceBatch(dims, strides, 3))
    return kernelError(op, "more than three non-contiguous batch dims");
  if (batchCount > 65535)
    return kernelError(op, "more than 65535 batches");
  while (dims.size() < 3) {
    dims.insert(dims.begin(), 1);
    for (auto &s : strides)
      s.insert(s.begin(), 0);
  }

  if (m == 0 || n == 0) {
    KernelProgram empty;
    empty.family = "empty";
    return empty;
  }

  // Operands are read as float4 texels along a dim when it is contiguous,
  // K (or N) and every other stride are multiples of 4.
  auto aligned = [](ArrayRef<int64_t> values) {
    return llvm::all_of(values, [](int64_t v) { return v % 4 == 0; });
  };
  bool aVec4 = aCol == 1 &&
               aligned({aRow, k, strides[0][0], strides[0][1], strides[0][2]});
  bool bBatch = aligned({strides[1][0], strides[1][1], strides[1][2]});
  int bVec4 = bRow == 1 && bBatch && aligned({bCol, k})   ? 1
              : bCol == 1 && bBatch && aligned({bRow, n}) ? 2
                                                          : 0;
  bool cVec4 = aligned({n, strides[2][0], strides[2][1], strides[2][2]});

  KernelProgram p;
  p.family = "matmul";
  p.subgroupVariant = true;
  // Cooperative-matrix variants multiply f16 operands: only for f16 data.
  p.coopmatVariant =
      op.getLhs().getType().cast<RankedTensorType>().getElementType().isF16() &&
      op.getRhs().getType().cast<RankedTensorType>().getElementType().isF16();
  p.body = shaders::kMatmul;
  if (p.coopmatVariant)
    p.body += std::string("\n#if ATTNC_COOPMAT\n") + shaders::kCoopmat + "\n" +
              shaders::kMatmulCoopmat + "#endif\n";
  p.defines = {{"A_VEC4", aVec4 ? "1" : "0"},
               {"B_VEC4", std::to_string(bVec4)},
               {"C_VEC4", cVec4 ? "1" : "0"}};
  // C is the product, or the elementwise tree fused after it (its
  // epilogue), of the same shape and element type.
  p.bindings.push_back(
      bindValue(schedule, weights, kernel.outputs[0], "cBuf", true));
  if (cVec4)
    useVec4(p.bindings.back());
  p.bindings.push_back(
      bindTexels(schedule, weights, op.getLhs(), "aTex", aVec4));
  p.bindings.push_back(
      bindTexels(schedule, weights, op.getRhs(), "bTex", bVec4 != 0));
  llvm::Expected<std::string> epilogue =
      emitEpilogue(schedule, weights, kernel, p);
  if (!epilogue)
    return epilogue.takeError();
  p.body = *epilogue + p.body;
  for (auto [name, value] :
       std::initializer_list<std::pair<const char *, int64_t>>{
           {"m", m},
           {"n", n},
           {"k", k},
           {"aRow", aRow},
           {"aCol", aCol},
           {"bRow", bRow},
           {"bCol", bCol},
           {"cRow", n},
           {"batch1", dims[1]},
           {"batch2", dims[2]},
           {"aB0", strides[0][0]},
           {"aB1", strides[0][1]},
           {"aB2", strides[0][2]},
           {"bB0", strides[1][0]},
           {"bB1", strides[1][1]},
           {"bB2", strides[1][2]},
           {"cB0", strides[2][0]},
           {"cB1", strides[2][1]},
           {"cB2", strides[2][2]}})
    addPush(p, name, value);
  p.workgroup = "local_size_x = 16, local_size_x_id = 0, local_size_y = 16, "
                "local_size_y_id = 1";
  p.specConstants = {
      {0, "", 16}, {1, "", 16}, {2, "TM", 4}, {3, "TN", 4}, {4, "BK", 16}};
  if (p.coopmatVariant)
    p.specConstants.insert(p.specConstants.end(), {{5, "WARPS", 4},
                                                   {6, "WARPS_N", 2},
                                                   {7, "FM", 2},
                                                   {8, "FN", 2},
                                                   {9, "DOUBLE_BUF", 0}});

  // Portable (CPU devices): workgroups of 8 invocations, one TM x TN block
  // of C each. Every fetch is a call on lavapipe, and a step of four k
  // makes TM + TN of them for TM * TN * 4 multiply-adds, so blocks are as
  // large as the matrix allows (16 x 16: 256 accumulators); a vec4 output
  // or B read along n needs TN to be a multiple of 4. Measured on lavapipe.
  auto blockSide = [](int64_t extent) -> uint32_t {
    return extent >= 16 ? 16 : extent > 4 ? 8 : 4;
  };
  uint32_t tm = m >= 16 ? 16 : m > 4 ? 8 : m > 1 ? 4 : 1;
  uint32_t tn = blockSide(n);
  int64_t blocks = ((m + tm - 1) / tm) * ((n + tn - 1) / tn);
  KernelVariant portable;
  portable.groups = flatGroups((blocks + 7) / 8);
  portable.groups[2] = static_cast<uint32_t>(batchCount);
  portable.spec = {{0, 8}, {1, 1}, {2, tm}, {3, tn}, {4, 16}};
  // Subgroup (GPUs): 16 x 16 invocations of 4 x 4 outputs: 64 x 64 tiles,
  // 16 deep.
  KernelVariant subgroup;
  subgroup.kind = VariantKind::Subgroup;
  subgroup.groups = {static_cast<uint32_t>((n + 63) / 64),
                     static_cast<uint32_t>((m + 63) / 64),
                     static_cast<uint32_t>(batchCount)};
  subgroup.spec = {{0, 16}, {1, 16}, {2, 4}, {3, 4}, {4, 16}};
  subgroup.sharedBytes = 4 * 16 * (64 + 64);
  p.variants = {portable, subgroup};
  if (p.coopmatVariant) {
    // 2 x 2 warps of up to 4 x 4 accumulators (a 128 x 128 tile of C), 32
    // deep, double-buffered, in at most 48 KiB; the emulated form, which
    // lavapipe runs in 32 KiB, takes 2 x 2 fragments per warp, 16 deep.
    // Fewer fragments where M or N is small.
    auto fragments = [](int64_t extent, uint32_t most) {
      uint32_t f = 1;
      while (f < most && int64_t(32) * f < extent)
        f *= 2;
      return f;
    };
    for (VariantKind kind :
         {VariantKind::Coopmat, VariantKind::CoopmatEmulated}) {
      bool emulated = kind == VariantKind::CoopmatEmulated;
      uint32_t most = emulated ? 2 : 4, bk = emulated ? 16 : 32;
      uint32_t fm = fragments(m, most), fn = fragments(n, most);
      uint32_t bm = 32 * fm, bn = 32 * fn;
      KernelVariant v;
      v.kind = kind;
      v.groups = {static_cast<uint32_t>((n + bn - 1) / bn),
                  static_cast<uint32_t>((m + bm - 1) / bm),
                  static_cast<uint32_t>(batchCount)};
      v.spec = {{0, 128}, {1, 1}, {2, 1},  {3, 1},  {4, bk},
                {5, 4},   {6, 2}, {7, fm}, {8, fn}, {9, 1}};
      v.sharedBytes = 2 * (bm * bk + bk * bn) * 2 + 4 * 256 * 4 +
                      (emulated ? 4 * 512 * 4 : 0);
      p.variants.push_back(v);
    }
  }
  return p;
}

//===----------------------------------------------------------------------===//
// Row kernels: softmax, scaled masked softmax, layer norm, reduce
//===----------------------------------------------------------------------===//

/// The reduction helpers and a one-dimensional workgroup of 64 invocations:
/// in the portable variant one row per invocation, in the subgroup variant
/// one row per workgroup.
KernelProgram rowProgram(llvm::StringRef family, const char *body,
                         int64_t rows) {
  KernelProgram p;
  p.family = family.str();
  p.body = std::string(shaders::kReductions) + "\n" + body;
  p.subgroupVariant = true;
  p.workgroup = "local_size_x = 64";
  KernelVariant portable, subgroup;
  portable.groups = flatGroups((rows + 63) / 64);
  subgroup.kind = VariantKind::Subgroup;
  subgroup.groups = flatGroups(rows);
  subgroup.sharedBytes = 2 * 4 * 64;
  p.variants = {portable, subgroup};
  return p;
}

llvm::Expected<KernelProgram> emitSoftmax(const Schedule &schedule,
                                          const WeightOffsets &weights,
                                          Operation *op, Value input,
                                          int64_t axis, bool log, float scale,
                                          Value mask, attn::CausalKind causal) {
  if (llvm::Error e = checkElements(op, input))
    return std::move(e);
  ArrayRef<int64_t> shape = shapeOf(input);
  int64_t rank = shape.size();
  int64_t len = shape[axis], inner = 1, total = 1;
  for (int64_t i = axis + 1; i < rank; ++i)
    inner *= shape[i];
  for (int64_t dim : shape)
    total *= dim;
  int64_t rows = len == 0 ? 0 : total / len;
  KernelProgram p =
      rowProgram(log ? "log_softmax" : "softmax", shaders::kSoftmax, rows);
  // Contiguous rows are read as float4 texels and written as vec4s.
  bool vec4 = inner == 1 && len % 4 == 0;
  p.bindings.push_back(
      bindValue(schedule, weights, op->getResult(0), "outBuf", true));
  if (vec4)
    useVec4(p.bindings.back());
  p.bindings.push_back(bindTexels(schedule, weights, input, "inTex", vec4));
  int maskKind = 0;
  SmallVector<int64_t, 3> rowDims = {1, 1, 1}, rowStrides = {0, 0, 0};
  int64_t maskK = 0;
  if (mask) {
    auto element = mask.getType().cast<RankedTensorType>().getElementType();
    maskKind = element.isInteger(1) ? 2 : 1;
    p.bindings.push_back(bindTexels(schedule, weights, mask, "maskTex", false));
    SmallVector<int64_t, 6> s = broadcastStrides(shapeOf(mask), shape);
    maskK = s.back();
    SmallVector<int64_t, 6> dims(shape.begin(), shape.end() - 1);
    SmallVector<SmallVector<int64_t, 6>, 3> strides(1);
    strides[0].assign(s.begin(), s.end() - 1);
    if (!coalesceBatch(dims, strides, 3))
      return kernelError(op, "the mask's broadcast needs more than three row "
                             "dims");
    size_t pad = 3 - dims.size();
    for (size_t i = 0; i < dims.size(); ++i) {
      rowDims[pad + i] = dims[i];
      rowStrides[pad + i] = strides[0][i];
    }
  }
  int64_t sq = rank >= 2 ? shape[rank - 2] : 1, sk = shape[rank - 1];
  p.defines = {{"LOG", log ? "1" : "0"},
               {"MASK_KIND", std::to_string(maskKind)},
               {"CAUSAL", causal == attn::CausalKind::none ? "0" : "1"},
               {"IN_VEC4", vec4 ? "1" : "0"}};
  addPush(p, "rows", rows);
  addPush(p, "len", len);
  addPush(p, "inner", inner);
  addPush(p, "sq", sq);
  addPushInt(p, "causalOffset",
             causal == attn::CausalKind::bottom_right ? sk - sq : 0);
  addPush(p, "rowDim1", rowDims[1]);
  addPush(p, "rowDim2", rowDims[2]);
  addPush(p, "mS0", rowStrides[0]);
  addPush(p, "mS1", rowStrides[1]);
  addPush(p, "mS2", rowStrides[2]);
  addPush(p, "mK", maskK);
  addPushFloat(p, "scale", scale);
  return p;
}

llvm::Expected<KernelProgram> emitLayerNorm(const Schedule &schedule,
                                            const WeightOffsets &weights,
                                            attn::LayerNormOp op) {
  if (llvm::Error e = checkElements(op, op.getInput()))
    return std::move(e);
  ArrayRef<int64_t> shape = shapeOf(op.getInput());
  int64_t axis = op.getNormalizedAxis(), len = 1, rows = 1;
  for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i)
    (i < axis ? rows : len) *= shape[i];
  KernelProgram p = rowProgram("layer_norm", shaders::kLayerNorm, rows);
  // Rows (and the scale and bias) are read as float4 texels and written as
  // vec4s when their length is a multiple of 4.
  bool vec4 = len % 4 == 0;
  p.bindings.push_back(
      bindValue(schedule, weights, op.getResult(), "outBuf", true));
  if (vec4)
    useVec4(p.bindings.back());
  p.bindings.push_back(
      bindTexels(schedule, weights, op.getInput(), "inTex", vec4));
  if (op.getScale())
    p.bindings.push_back(
        bindTexels(schedule, weights, op.getScale(), "scaleTex", vec4));
  if (op.getBias())
    p.bindings.push_back(
        bindTexels(schedule, weights, op.getBias(), "biasTex", vec4));
  p.defines = {{"HAS_SCALE", op.getScale() ? "1" : "0"},
               {"HAS_BIAS", op.getBias() ? "1" : "0"},
               {"IN_VEC4", vec4 ? "1" : "0"}};
  addPush(p, "rows", rows);
  addPush(p, "len", len);
  addPushFloat(p, "epsilon", op.getEpsilon().convertToFloat());
  return p;
}

llvm::Expected<KernelProgram> emitReduce(const Schedule &schedule,
                                         const WeightOffsets &weights,
                                         attn::ReduceOp op) {
  if (llvm::Error e = checkElements(op, op.getInput()))
    return std::move(e);
  ArrayRef<int64_t> shape = shapeOf(op.getInput());
  Type element =
      op.getInput().getType().cast<RankedTensorType>().getElementType();
  if (element.isInteger(1))
    return kernelError(op, "reductions of booleans are not supported by the "
                           "Vulkan target");
  int64_t rank = shape.size();
  SmallVector<bool, 6> reduced(rank, false);
  for (int64_t axis : op.getAxes())
    reduced[axis < 0 ? axis + rank : axis] = true;
  SmallVector<int64_t, 6> strides = contiguousStrides(shape);
  // Kept and reduced dims, each merged where contiguous.
  SmallVector<int64_t, 6> keptDims, redDims;
  SmallVector<SmallVector<int64_t, 6>, 3> keptStrides(1), redStrides(1);
  for (int64_t i = 0; i < rank; ++i) {
    (reduced[i] ? redDims : keptDims).push_back(shape[i]);
    (reduced[i] ? redStrides : keptStrides)[0].push_back(strides[i]);
  }
  int64_t outputs = 1, count = 1;
  for (int64_t dim : keptDims)
    outputs *= dim;
  for (int64_t dim : redDims)
    count *= dim;
  if (!coalesceBatch(keptDims, keptStrides, 4) ||
      !coalesceBatch(redDims, redStrides, 4))
    return kernelError(op, "the reduction needs more than four kept or "
                           "reduced dims after merging contiguous ones");
  auto pad4 = [](SmallVector<int64_t, 6> &dims, SmallVector<int64_t, 6> &str) {
    while (dims.size() < 4) {
      dims.insert(dims.begin(), 1);
      str.insert(str.begin(), 0);
    }
  };
  pad4(keptDims, keptStrides[0]);
  pad4(redDims, redStrides[0]);
  KernelProgram p = rowProgram("reduce", shaders::kReduce, outputs);
  // Float inputs whose innermost reduced dim is contiguous are read as
  // float4 texels when every offset stays a multiple of 4.
  bool isInt = element.isa<IntegerType>();
  bool vec4 = !isInt && redStrides[0][3] == 1 && redDims[3] % 4 == 0;
  for (int i = 0; i < 4; ++i)
    vec4 = vec4 && keptStrides[0][i] % 4 == 0 &&
           (i == 3 || redStrides[0][i] % 4 == 0);
  p.bindings.push_back(
      bindValue(schedule, weights, op.getResult(), "outBuf", true));
  p.bindings.push_back(
      bindTexels(schedule, weights, op.getInput(), "inTex", vec4));
  p.defines = {{"RED_OP", std::to_string(static_cast<int>(op.getKind()))},
               {"RED_INT", isInt ? "1" : "0"},
               {"IN_VEC4", vec4 ? "1" : "0"}};
  addPush(p, "outputs", outputs);
  addPush(p, "count", count);
  for (int i = 1; i < 4; ++i)
    addPush(p, "kd" + std::to_string(i), keptDims[i]);
  for (int i = 0; i < 4; ++i)
    addPush(p, "ks" + std::to_string(i), keptStrides[0][i]);
  for (int i = 1; i < 4; ++i)
    addPush(p, "rd" + std::to_string(i), redDims[i]);
  for (int i = 0; i < 4; ++i)
    addPush(p, "rs" + std::to_string(i), redStrides[0][i]);
  return p;
}

//===----------------------------------------------------------------------===//
// Gather
//===----------------------------------------------------------------------===//

llvm::Expected<KernelProgram> emitGather(const Schedule &schedule,
                                         const WeightOffsets &weights,
                                         attn::GatherOp op, uint32_t dispatch) {
  if (llvm::Error e = checkElements(op, op.getResult()))
    return std::move(e);
  ArrayRef<int64_t> table = shapeOf(op.getTable());
  int64_t rank = table.size();
  int64_t axis = *attn::normalizeAxis(op.getAxis(), rank);
  int64_t post = 1, count = 1, total = 1;
  for (int64_t i = axis + 1; i < rank; ++i)
    post *= table[i];
  for (int64_t dim : shapeOf(op.getIndices()))
    count *= dim;
  for (int64_t dim : shapeOf(op.getResult()))
    total *= dim;
  KernelProgram p;
  p.family = "gather";
  p.body = shaders::kGather;
  p.workgroup = "local_size_x = 128";
  ShaderBinding out =
      bindValue(schedule, weights, op.getResult(), "outBuf", true);
  p.defines = {{"TYPE", out.elementType}};
  p.bindings.push_back(out);
  p.bindings.push_back(
      bindValue(schedule, weights, op.getTable(), "tableBuf", false));
  p.bindings.push_back(
      bindValue(schedule, weights, op.getIndices(), "indexBuf", false));
  ShaderBinding status;
  status.name = "statusBuf";
  status.elementType = "uint";
  status.writes = true;
  status.buffer = BufferKind::Status;
  status.bytes = kStatusWords * 4;
  p.bindings.push_back(status);
  addPush(p, "total", total);
  addPush(p, "post", post == 0 ? 1 : post);
  addPush(p, "count", count == 0 ? 1 : count);
  addPush(p, "n", table[axis]);
  addPush(p, "dispatch", dispatch);
  KernelVariant variant;
  variant.groups = flatGroups((total + 127) / 128);
  p.variants = {variant};
  return p;
}

} // namespace

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

llvm::Expected<std::vector<KernelProgram>>
vk::emitKernelPrograms(const Schedule &schedule, const WeightOffsets &weights) {
  std::vector<KernelProgram> programs;
  // Kernels with no work (empty tensors) get no dispatch.
  uint32_t dispatch = 0;
  for (const Kernel &kernel : schedule.kernels) {
    llvm::Expected<KernelProgram> program =
        [&]() -> llvm::Expected<KernelProgram> {
      if (kernel.copyToOutput >= 0 || kernel.elementwise)
        return emitElementwiseKernel(schedule, weights, kernel);
      Operation *op = kernel.root;
      return llvm::TypeSwitch<Operation *, llvm::Expected<KernelProgram>>(op)
          .Case([&](attn::AttentionOp a) {
            return emitAttention(schedule, weights, kernel, a);
          })
          .Case([&](attn::MatmulOp m) {
            return emitMatmul(schedule, weights, kernel, m);
          })
          .Case([&](attn::SoftmaxOp s) {
            return emitSoftmax(schedule, weights, s, s.getInput(),
                               s.getNormalizedAxis(), false, 1.0f, nullptr,
                               attn::CausalKind::none);
          })
          .Case([&](attn::LogSoftmaxOp s) {
            return emitSoftmax(schedule, weights, s, s.getInput(),
                               s.getNormalizedAxis(), true, 1.0f, nullptr,
                               attn::CausalKind::none);
          })
          .Case([&](attn::ScaledMaskedSoftmaxOp s) {
            int64_t rank = shapeOf(s.getInput()).size();
            return emitSoftmax(schedule, weights, s, s.getInput(), rank - 1,
                               false, s.getScale().convertToFloat(),
                               s.getMask(), s.getCausal());
          })
          .Case([&](attn::LayerNormOp l) {
            return emitLayerNorm(schedule, weights, l);
          })
          .Case([&](attn::ReduceOp r) {
            return emitReduce(schedule, weights, r);
          })
          .Case([&](attn::GatherOp g) {
            return emitGather(schedule, weights, g, dispatch);
          })
          .Case<attn::TransposeOp, attn::SliceOp, attn::ConcatOp, attn::SplitOp,
                attn::CausalMaskOp, attn::BroadcastToOp>([&](Operation *) {
            return emitDataMovementKernel(schedule, weights, kernel);
          })
          .Default([&](Operation *op) -> llvm::Expected<KernelProgram> {
            return kernelError(op, "has no Vulkan kernel");
          });
    }();
    if (!program)
      return program.takeError();
    program->label = describeKernel(kernel);
    dispatch += !program->variants.empty();
    programs.push_back(std::move(*program));
  }
  return programs;
}

bool vk::bindsHalf(const ShaderBinding &b) {
  return b.kind == DescriptorKind::TexelHalf4 ||
         b.kind == DescriptorKind::TexelHalf ||
         llvm::StringRef(b.elementType).contains("16");
}

std::string vk::renderGlsl(const KernelProgram &p, llvm::StringRef name) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "// " << name
     << ": a compute shader attnc generated for the Vulkan "
        "target.\n";
  os << "// workgroup: " << p.workgroup << "\n";
  if (!p.specConstants.empty()) {
    os << "// specialisation constants:";
    for (const SpecConstant &s : p.specConstants)
      os << " " << s.id << "="
         << (s.name.empty() ? (s.id == 0 ? std::string("local_size_x")
                                         : std::string("local_size_y"))
                            : s.name);
    os << "\n";
  }
  os << "// bindings (set 0):\n";
  for (auto [i, b] : llvm::enumerate(p.bindings)) {
    os << "//   " << i << " " << b.name << ": ";
    switch (b.kind) {
    case DescriptorKind::Storage:
      os << (b.writes ? "storage buffer " : "readonly storage buffer ")
         << b.elementType << "[]";
      break;
    case DescriptorKind::TexelFloat4:
      os << "uniform texel buffer, rgba32f";
      break;
    case DescriptorKind::TexelFloat:
      os << "uniform texel buffer, r32f";
      break;
    case DescriptorKind::TexelUint:
      os << "uniform texel buffer, r32ui";
      break;
    case DescriptorKind::TexelHalf4:
      os << "uniform texel buffer, rgba16f";
      break;
    case DescriptorKind::TexelHalf:
      os << "uniform texel buffer, r16f";
      break;
    }
    os << "\n";
  }
  os << "// push constants:";
  for (const PushField &f : p.push)
    os << " " << f.type << " " << f.name << ";";
  os << "\n";
  if (p.subgroupVariant)
    os << "// variants: ATTNC_SUBGROUP 0 (portable) and 1 (subgroup "
          "operations)\n";
  if (p.coopmatVariant)
    os << "// variants: ATTNC_COOPMAT 1 with COOPMAT_EMULATED 0 "
          "(GL_NV_cooperative_matrix) and 1 (emulated)\n";
  os << "#version 450\n";
  if (p.coopmatVariant)
    os << "#ifndef ATTNC_COOPMAT\n#define ATTNC_COOPMAT 0\n#endif\n"
          "#ifndef COOPMAT_EMULATED\n#define COOPMAT_EMULATED 0\n#endif\n";
  if (p.subgroupVariant)
    os << "#ifndef ATTNC_SUBGROUP\n#define ATTNC_SUBGROUP 0\n#endif\n"
          "#if ATTNC_SUBGROUP\n"
          "#extension GL_KHR_shader_subgroup_basic : require\n"
          "#extension GL_KHR_shader_subgroup_vote : require\n"
          "#extension GL_KHR_shader_subgroup_arithmetic : require\n"
          "#endif\n";
  if (llvm::any_of(p.bindings, bindsHalf))
    os << "#extension GL_EXT_shader_16bit_storage : require\n";
  for (const auto &[macro, value] : p.defines)
    os << "#define " << macro << " " << value << "\n";
  os << "layout(" << p.workgroup << ") in;\n";
  for (const SpecConstant &s : p.specConstants)
    if (!s.name.empty())
      os << "layout(constant_id = " << s.id << ") const uint " << s.name
         << " = " << s.defaultValue << ";\n";
  for (auto [i, b] : llvm::enumerate(p.bindings)) {
    os << "layout(";
    if (b.kind == DescriptorKind::Storage)
      os << "std430, ";
    os << "set = 0, binding = " << i << ") ";
    switch (b.kind) {
    case DescriptorKind::Storage:
      os << (b.writes ? "" : "readonly ") << "buffer Buffer" << i << " { "
         << b.elementType << " d[]; } " << b.name << ";\n";
      break;
    case DescriptorKind::TexelFloat4:
    case DescriptorKind::TexelFloat:
    case DescriptorKind::TexelHalf4:
    case DescriptorKind::TexelHalf:
      os << "uniform samplerBuffer " << b.name << ";\n";
      break;
    case DescriptorKind::TexelUint:
      os << "uniform usamplerBuffer " << b.name << ";\n";
      break;
    }
  }
  // NAME_STORE(e, v) writes element e of a storage binding and
  // NAME_STORE4(i, v) its i-th group of four, converting from f32, so that
  // templates write f32 and f16 tensors alike. f16 data stays a scalar
  // array: 16-bit storage alone cannot index into an f16vec4.
  for (const ShaderBinding &b : p.bindings) {
    if (b.kind != DescriptorKind::Storage || !b.writes)
      continue;
    const std::string &n = b.name;
    if (b.elementType == "vec4")
      os << "#define " << n << "_STORE(e, v) " << n
         << ".d[(e) >> 2u][(e) & 3u] = float(v)\n#define " << n
         << "_STORE4(i, v) " << n << ".d[i] = vec4(v)\n";
    else
      os << "#define " << n << "_STORE(e, v) " << n
         << ".d[e] = " << b.elementType << "(v)\n";
    if (b.elementType == "float16_t")
      os << "#define " << n << "_STORE4(i, v) { vec4 v_ = (v); uint i_ = 4u * "
         << "(i); " << n << ".d[i_] = float16_t(v_.x); " << n
         << ".d[i_ + 1u] = float16_t(v_.y); " << n
         << ".d[i_ + 2u] = float16_t(v_.z); " << n
         << ".d[i_ + 3u] = float16_t(v_.w); }\n";
  }
  if (!p.push.empty()) {
    os << "layout(push_constant) uniform Params {\n";
    for (const PushField &f : p.push)
      os << "  " << f.type << " " << f.name << ";\n";
    os << "} pc;\n";
  }
  os << shaders::kCommon << "\n" << p.body;
  return os.str();
}
