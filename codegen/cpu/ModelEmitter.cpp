//===- ModelEmitter.cpp - a model's LLVM module from its schedule ---------===//
//
// Algorithm:
//  1. Weights: every constant's bytes at a 64-byte aligned offset of one
//     constant global, emitted as raw data in one piece.
//  2. attnc_rt_info (codegen/ModelObject.h).
//  3. Per kernel, in schedule order, inside attnc_cpu_run:
//     - elementwise trees, copies, transposes, slices, concat, split and
//       causal masks become LoopEmitter loop nests (a task function over a
//       pointer array filled by the run function);
//     - softmax, layer norm, reduce, gather, matmul and attention fill the
//       kernel library's argument block: a constant template built here
//       with the host's struct layout, copied to the stack at run time with
//       the buffer pointers stored into it.
//     Both run through attnc_cpu_parallel; all stack space is one
//     entry-block alloca, so a run allocates nothing.
//  4. attnc_cpu_scratch_bytes asks each library kernel for its scratch.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/ModelEmitter.h"

#include "codegen/ModelObject.h"
#include "codegen/cpu/LoopEmitter.h"
#include "ir/AttnOps.h"
#include "ir/ShapeUtils.h"
#include "runtime/Model.h"
#include "runtime/cpu/Kernels.h"
#include "runtime/cpu/RowKernels.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/IR/IRBuilder.h"

#include <cstddef>
#include <cstring>

using namespace mlir;
using namespace attnc;
using namespace attnc::cpu;

namespace {

constexpr int64_t kWeightAlignment = 64;

llvm::Error opError(Operation *op, const llvm::Twine &message) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << op->getLoc() << ": '" << op->getName() << "': " << message;
  return llvm::createStringError(llvm::inconvertibleErrorCode(), os.str());
}

RankedTensorType tensorType(Value v) {
  return v.getType().cast<RankedTensorType>();
}
ArrayRef<int64_t> shapeOf(Value v) { return tensorType(v).getShape(); }

/// Broadcast strides of an operand of shape `from` with strides `strides`
/// read at every point of `to` (numpy rules, aligned on the right).
llvm::SmallVector<int64_t, 4> broadcastStrides(ArrayRef<int64_t> from,
                                               ArrayRef<int64_t> strides,
                                               ArrayRef<int64_t> to) {
  llvm::SmallVector<int64_t, 4> result(to.size(), 0);
  size_t lead = to.size() - from.size();
  for (size_t d = 0; d < from.size(); ++d)
    result[lead + d] = from[d] == 1 && to[lead + d] != 1 ? 0 : strides[d];
  return result;
}

class ModelEmitter {
public:
  ModelEmitter(const Schedule &schedule, llvm::Module &module)
      : schedule(schedule), func(schedule.func), module(module),
        context(module.getContext()), b(context),
        ptrTy(llvm::PointerType::getUnqual(context)), i64(b.getInt64Ty()),
        i32(b.getInt32Ty()) {}

  llvm::Error emit(llvm::StringRef modelName, llvm::StringRef targetCpu,
                   llvm::StringRef requiredFeatures);

private:
  llvm::Error emitWeights();
  llvm::Error emitKernel(const Kernel &kernel, unsigned index);

  // Operands.
  llvm::Value *bufferPtr(Value v);
  llvm::SmallVector<int64_t, 4> stridesOf(Value v);
  StridedOperand operandFor(unsigned slot, Value v, ArrayRef<int64_t> shape);

  // Generated loop kernels.
  void runLoopNest(llvm::StringRef name, const LoopNest &nest,
                   ArrayRef<llvm::Value *> slotPointers, LoopBody body);
  llvm::Error emitElementwise(const Kernel &kernel, unsigned index);
  llvm::Error emitDataMovement(const Kernel &kernel, unsigned index);

  // Library kernels.
  template <typename Args>
  void runLibrary(llvm::StringRef prefix, const Args &args,
                  ArrayRef<std::pair<size_t, llvm::Value *>> pointers,
                  bool hasScratch);
  llvm::Error emitAttention(const Kernel &kernel, attn::AttentionOp op);
  llvm::Error emitMatmul(const Kernel &kernel, attn::MatmulOp op);
  llvm::Error emitRowKernel(const Kernel &kernel, unsigned index);

  llvm::Function *declare(llvm::StringRef name, llvm::Type *ret,
                          ArrayRef<llvm::Type *> params);

  const Schedule &schedule;
  func::FuncOp func;
  llvm::Module &module;
  llvm::LLVMContext &context;
  llvm::IRBuilder<> b;
  llvm::PointerType *ptrTy;
  llvm::IntegerType *i64, *i32;

  llvm::GlobalVariable *weights = nullptr;
  std::vector<int64_t> weightOffsets;
  llvm::Function *runFn = nullptr;
  llvm::Value *ctxArg = nullptr, *inputsArg = nullptr, *outputsArg = nullptr,
              *arenaArg = nullptr;
  /// The run function's stack block: loop kernels' pointer arrays and
  /// library argument blocks, reused by every kernel.
  llvm::AllocaInst *stack = nullptr;
  int64_t stackBytes = 0;
  /// attnc_cpu_scratch_bytes under construction.
  llvm::IRBuilder<> scratchBuilder{context};
  llvm::Value *scratchMax = nullptr;
  unsigned counter = 0;
};

llvm::Function *ModelEmitter::declare(llvm::StringRef name, llvm::Type *ret,
                                      ArrayRef<llvm::Type *> params) {
  llvm::FunctionCallee callee = module.getOrInsertFunction(
      name, llvm::FunctionType::get(ret, params, false));
  return llvm::cast<llvm::Function>(callee.getCallee());
}

llvm::Error ModelEmitter::emitWeights() {
  std::string blob;
  for (Value v : schedule.constants) {
    auto constant = cast<attn::ConstantOp>(v.getDefiningOp());
    llvm::Expected<std::string> bytes = getConstantBytes(constant);
    if (!bytes)
      return bytes.takeError();
    blob.resize((blob.size() + kWeightAlignment - 1) / kWeightAlignment *
                kWeightAlignment);
    weightOffsets.push_back(blob.size());
    blob += *bytes;
  }
  if (blob.empty())
    return llvm::Error::success();
  auto *init =
      llvm::ConstantDataArray::getRaw(blob, blob.size(), b.getInt8Ty());
  weights = new llvm::GlobalVariable(module, init->getType(), true,
                                     llvm::GlobalValue::InternalLinkage, init,
                                     "attnc_weights");
  weights->setAlignment(llvm::Align(kWeightAlignment));
  return llvm::Error::success();
}

llvm::Value *ModelEmitter::bufferPtr(Value v) {
  const BufferRef &ref = schedule.getBuffer(v);
  switch (ref.kind) {
  case BufferRef::Kind::Input:
    return b.CreateLoad(
        ptrTy, b.CreateConstInBoundsGEP1_64(ptrTy, inputsArg, ref.index));
  case BufferRef::Kind::Output:
    return b.CreateLoad(
        ptrTy, b.CreateConstInBoundsGEP1_64(ptrTy, outputsArg, ref.index));
  case BufferRef::Kind::Constant:
    return b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), weights,
                                        weightOffsets[ref.index]);
  case BufferRef::Kind::Arena:
    return b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), arenaArg, ref.offset);
  }
  return nullptr;
}

llvm::SmallVector<int64_t, 4> ModelEmitter::stridesOf(Value v) {
  auto transpose = v.getDefiningOp<attn::TransposeOp>();
  if (!transpose || !schedule.viewTransposes.count(transpose)) {
    llvm::SmallVector<int64_t> s = attn::rowMajorStrides(shapeOf(v));
    return llvm::SmallVector<int64_t, 4>(s.begin(), s.end());
  }
  llvm::SmallVector<int64_t, 4> in = stridesOf(transpose.getInput());
  llvm::SmallVector<int64_t, 4> out;
  for (int64_t p : transpose.getPerm())
    out.push_back(in[p]);
  return out;
}

StridedOperand ModelEmitter::operandFor(unsigned slot, Value v,
                                        ArrayRef<int64_t> shape) {
  StridedOperand op;
  op.slot = slot;
  op.elementType = tensorType(v).getElementType();
  op.strides = broadcastStrides(shapeOf(v), stridesOf(v), shape);
  return op;
}

void ModelEmitter::runLoopNest(llvm::StringRef name, const LoopNest &nest,
                               ArrayRef<llvm::Value *> slotPointers,
                               LoopBody body) {
  int64_t tasks = 0;
  llvm::Function *fn = emitLoopNest(module, name, nest, body, tasks);
  if (tasks == 0)
    return;
  stackBytes = std::max<int64_t>(stackBytes, 8 * slotPointers.size());
  for (auto [i, p] : llvm::enumerate(slotPointers))
    b.CreateStore(p, b.CreateConstInBoundsGEP1_64(ptrTy, stack, i));
  b.CreateCall(
      declare("attnc_cpu_parallel", b.getVoidTy(), {ptrTy, ptrTy, ptrTy, i64}),
      {ctxArg, fn, stack, b.getInt64(tasks)});
}

llvm::Error ModelEmitter::emitElementwise(const Kernel &kernel,
                                          unsigned index) {
  Value result = kernel.root->getResult(0);
  ArrayRef<int64_t> shape = shapeOf(result);
  LoopNest nest;
  nest.shape.assign(shape.begin(), shape.end());
  nest.output = operandFor(1, result, shape);
  llvm::SmallVector<llvm::Value *, 4> slots = {ctxArg,
                                               bufferPtr(kernel.outputs[0])};
  for (Value in : kernel.inputs) {
    nest.inputs.push_back(operandFor(slots.size(), in, shape));
    slots.push_back(bufferPtr(in));
  }
  llvm::Error error = llvm::Error::success();
  auto body = [&](llvm::IRBuilder<> &lb, ArrayRef<llvm::Value *> loaded,
                  ArrayRef<llvm::Value *>) -> llvm::Value * {
    llvm::DenseMap<mlir::Value, llvm::Value *> values;
    for (auto [v, l] : llvm::zip(kernel.inputs, loaded))
      values[v] = l;
    for (Operation *op : kernel.ops) {
      llvm::SmallVector<llvm::Value *, 3> operands;
      for (mlir::Value operand : op->getOperands())
        operands.push_back(values.lookup(operand));
      llvm::Expected<llvm::Value *> r = lowerElementwiseOp(lb, op, operands);
      if (!r) {
        llvm::consumeError(std::move(error));
        error = r.takeError();
        return llvm::UndefValue::get(
            getComputeType(nest.output.elementType, context));
      }
      values[op->getResult(0)] = *r;
    }
    return values.lookup(result);
  };
  runLoopNest("k" + std::to_string(index) + "." +
                  kernel.root->getName().stripDialect().str(),
              nest, slots, body);
  return error;
}

llvm::Error ModelEmitter::emitDataMovement(const Kernel &kernel,
                                           unsigned index) {
  auto identity = [](llvm::IRBuilder<> &, ArrayRef<llvm::Value *> loaded,
                     ArrayRef<llvm::Value *>) { return loaded[0]; };
  std::string name = "k" + std::to_string(index) + ".";
  Operation *op = kernel.root;

  // A value copied to an output buffer.
  if (kernel.copyToOutput >= 0) {
    Value v = kernel.inputs[0];
    LoopNest nest;
    nest.shape.assign(shapeOf(v).begin(), shapeOf(v).end());
    nest.output.slot = 1;
    nest.output.elementType = tensorType(v).getElementType();
    auto rm = attn::rowMajorStrides(nest.shape);
    nest.output.strides.assign(rm.begin(), rm.end());
    nest.inputs.push_back(operandFor(2, v, nest.shape));
    llvm::Value *out =
        b.CreateLoad(ptrTy, b.CreateConstInBoundsGEP1_64(ptrTy, outputsArg,
                                                         kernel.copyToOutput));
    runLoopNest(name + "copy", nest, {ctxArg, out, bufferPtr(v)}, identity);
    return llvm::Error::success();
  }

  // Transpose and slice: a copy reading the input through other strides.
  if (isa<attn::TransposeOp, attn::SliceOp>(op)) {
    Value result = op->getResult(0), input = op->getOperand(0);
    LoopNest nest;
    nest.shape.assign(shapeOf(result).begin(), shapeOf(result).end());
    nest.output = operandFor(1, result, nest.shape);
    StridedOperand in;
    in.slot = 2;
    in.elementType = nest.output.elementType;
    llvm::SmallVector<int64_t, 4> inStrides = stridesOf(input);
    if (auto transpose = dyn_cast<attn::TransposeOp>(op)) {
      for (int64_t p : transpose.getPerm())
        in.strides.push_back(inStrides[p]);
    } else {
      auto slice = cast<attn::SliceOp>(op);
      for (size_t d = 0; d < inStrides.size(); ++d) {
        in.offset += slice.getStarts()[d] * inStrides[d];
        in.strides.push_back(inStrides[d] * slice.getStrides()[d]);
      }
    }
    nest.inputs.push_back(in);
    runLoopNest(name + (isa<attn::TransposeOp>(op) ? "transpose" : "slice"),
                nest, {ctxArg, bufferPtr(result), bufferPtr(input)}, identity);
    return llvm::Error::success();
  }

  if (auto concat = dyn_cast<attn::ConcatOp>(op)) {
    Value result = concat.getResult();
    int64_t axis =
        *attn::normalizeAxis(concat.getAxis(), shapeOf(result).size());
    llvm::SmallVector<int64_t, 4> outStrides = stridesOf(result);
    llvm::Value *outPtr = bufferPtr(result);
    int64_t start = 0;
    for (auto [piece, in] : llvm::enumerate(concat.getInputs())) {
      LoopNest nest;
      nest.shape.assign(shapeOf(in).begin(), shapeOf(in).end());
      nest.output.slot = 1;
      nest.output.elementType = tensorType(result).getElementType();
      nest.output.offset = start * outStrides[axis];
      nest.output.strides = outStrides;
      nest.inputs.push_back(operandFor(2, in, nest.shape));
      runLoopNest(name + "concat." + std::to_string(piece), nest,
                  {ctxArg, outPtr, bufferPtr(in)}, identity);
      start += shapeOf(in)[axis];
    }
    return llvm::Error::success();
  }

  if (auto split = dyn_cast<attn::SplitOp>(op)) {
    Value input = split.getInput();
    int64_t axis = *attn::normalizeAxis(split.getAxis(), shapeOf(input).size());
    llvm::SmallVector<int64_t, 4> inStrides = stridesOf(input);
    llvm::Value *inPtr = bufferPtr(input);
    int64_t start = 0;
    for (auto [piece, result] : llvm::enumerate(split.getResults())) {
      LoopNest nest;
      nest.shape.assign(shapeOf(result).begin(), shapeOf(result).end());
      nest.output = operandFor(1, result, nest.shape);
      StridedOperand in;
      in.slot = 2;
      in.elementType = nest.output.elementType;
      in.offset = start * inStrides[axis];
      in.strides = inStrides;
      nest.inputs.push_back(in);
      runLoopNest(name + "split." + std::to_string(piece), nest,
                  {ctxArg, bufferPtr(result), inPtr}, identity);
      start += shapeOf(result)[axis];
    }
    return llvm::Error::success();
  }

  if (auto mask = dyn_cast<attn::CausalMaskOp>(op)) {
    Value result = mask.getResult();
    ArrayRef<int64_t> shape = shapeOf(result);
    int64_t offset = mask.getCausal() == attn::CausalKind::bottom_right
                         ? shape[1] - shape[0]
                         : 0;
    LoopNest nest;
    nest.shape.assign(shape.begin(), shape.end());
    nest.output = operandFor(1, result, nest.shape);
    nest.keepDims = true;
    auto body = [&](llvm::IRBuilder<> &lb, ArrayRef<llvm::Value *>,
                    ArrayRef<llvm::Value *> idx) -> llvm::Value * {
      // j <= i + offset, in signed arithmetic (the offset may be negative).
      return lb.CreateICmpSLE(idx[1],
                              lb.CreateAdd(idx[0], lb.getInt64(offset)));
    };
    runLoopNest(name + "causal_mask", nest, {ctxArg, bufferPtr(result)}, body);
    return llvm::Error::success();
  }
  return opError(op, "cannot be compiled for the cpu target");
}

template <typename Args>
void ModelEmitter::runLibrary(
    llvm::StringRef prefix, const Args &args,
    ArrayRef<std::pair<size_t, llvm::Value *>> pointers, bool hasScratch) {
  // The argument block's constant part, with the host's (= the target's)
  // struct layout.
  llvm::StringRef bytes(reinterpret_cast<const char *>(&args), sizeof(Args));
  auto *init =
      llvm::ConstantDataArray::getRaw(bytes, sizeof(Args), b.getInt8Ty());
  auto *templ = new llvm::GlobalVariable(
      module, init->getType(), true, llvm::GlobalValue::PrivateLinkage, init,
      "attnc.args." + std::to_string(counter++));
  templ->setAlignment(llvm::Align(16));
  stackBytes = std::max<int64_t>(stackBytes, sizeof(Args));

  std::string name = ("attnc_k_" + prefix).str();
  llvm::Function *tasksFn = declare(name + "_tasks", i64, {ptrTy});
  llvm::Function *kernelFn =
      declare(name, b.getVoidTy(), {ptrTy, i64, i64, ptrTy});
  b.CreateMemCpy(stack, llvm::Align(16), templ, llvm::Align(16), sizeof(Args));
  for (auto [offset, value] : pointers)
    b.CreateStore(value,
                  b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), stack, offset));
  // Task counts depend only on the constant part: after inlining they fold.
  llvm::Value *tasks = b.CreateCall(tasksFn, {templ});
  b.CreateCall(
      declare("attnc_cpu_parallel", b.getVoidTy(), {ptrTy, ptrTy, ptrTy, i64}),
      {ctxArg, kernelFn, stack, tasks});
  if (hasScratch) {
    llvm::Function *scratchFn = declare(name + "_scratch", i64, {ptrTy});
    llvm::Value *bytesNeeded = scratchBuilder.CreateCall(scratchFn, {templ});
    scratchMax = scratchBuilder.CreateSelect(
        scratchBuilder.CreateICmpSGT(bytesNeeded, scratchMax), bytesNeeded,
        scratchMax);
  }
}

llvm::Error ModelEmitter::emitAttention(const Kernel &kernel,
                                        attn::AttentionOp op) {
  auto q = tensorType(op.getQuery());
  if (!q.getElementType().isF32())
    return opError(
        op, "the cpu target computes attention in f32 only, got " +
                std::to_string(q.getElementType().getIntOrFloatBitWidth()) +
                "-bit floats");
  ArrayRef<int64_t> qs = q.getShape(), ks = shapeOf(op.getKey()),
                    vs = shapeOf(op.getValue());
  attnc_attention_args a = {};
  a.batch = qs[0];
  a.heads = qs[1];
  a.kv_heads = ks[1];
  a.sq = qs[2];
  a.sk = ks[2];
  a.d = qs[3];
  a.dv = vs[3];
  auto copy3 = [](int64_t *dst, ArrayRef<int64_t> src) {
    for (int i = 0; i < 3; ++i)
      dst[i] = src[i];
  };
  copy3(a.q_stride, stridesOf(op.getQuery()));
  copy3(a.k_stride, stridesOf(op.getKey()));
  copy3(a.v_stride, stridesOf(op.getValue()));
  Value out = kernel.outputs[0];
  if (out == op.getResult()) {
    copy3(a.out_stride, stridesOf(out));
  } else {
    // Written through the transpose that consumes it: result dim perm[i]
    // is the transpose's dim i.
    auto transpose = cast<attn::TransposeOp>(out.getDefiningOp());
    llvm::SmallVector<int64_t, 4> tStrides = stridesOf(out), resultStrides(4);
    for (auto [i, p] : llvm::enumerate(transpose.getPerm()))
      resultStrides[p] = tStrides[i];
    copy3(a.out_stride, resultStrides);
  }
  llvm::Value *maskPtr = llvm::ConstantPointerNull::get(ptrTy);
  if (Value mask = op.getMask()) {
    Type et = tensorType(mask).getElementType();
    if (!et.isF32() && !et.isInteger(1))
      return opError(op, "the cpu target takes f32 or i1 attention masks");
    a.mask_kind = et.isF32() ? 1 : 2;
    llvm::SmallVector<int64_t, 4> full = {a.batch, a.heads, a.sq, a.sk};
    auto strides = broadcastStrides(shapeOf(mask), stridesOf(mask), full);
    for (int i = 0; i < 4; ++i)
      a.mask_stride[i] = strides[i];
    maskPtr = bufferPtr(mask);
  }
  a.causal = static_cast<int32_t>(op.getCausal());
  a.scale = static_cast<float>(op.getEffectiveScale());
  runLibrary("attention", a,
             {{offsetof(attnc_attention_args, q), bufferPtr(op.getQuery())},
              {offsetof(attnc_attention_args, k), bufferPtr(op.getKey())},
              {offsetof(attnc_attention_args, v), bufferPtr(op.getValue())},
              {offsetof(attnc_attention_args, mask), maskPtr},
              {offsetof(attnc_attention_args, out), bufferPtr(out)}},
             /*hasScratch=*/true);
  return llvm::Error::success();
}

llvm::Error ModelEmitter::emitMatmul(const Kernel &kernel, attn::MatmulOp op) {
  if (!tensorType(op.getResult()).getElementType().isF32())
    return opError(op, "the cpu target computes matmul in f32 only");
  ArrayRef<int64_t> ls = shapeOf(op.getLhs()), rs = shapeOf(op.getRhs()),
                    os = shapeOf(op.getResult());
  attnc_matmul_args a = {};
  a.trans_a = op.getTransposeLhs();
  a.trans_b = op.getTransposeRhs();
  a.m = os[os.size() - 2];
  a.n = os.back();
  a.k = a.trans_a ? ls[ls.size() - 2] : ls.back();
  a.lda = ls.back();
  a.ldb = rs.back();
  a.ldc = a.n;
  // Batch dims of the result with each operand's batch stride (0 where it
  // broadcasts), then merged where all three stay contiguous.
  ArrayRef<int64_t> batch = os.drop_back(2);
  auto batchStrides = [&](ArrayRef<int64_t> shape) {
    llvm::SmallVector<int64_t, 4> full(shape.drop_back(2));
    llvm::SmallVector<int64_t, 4> strides(full.size());
    int64_t s = shape[shape.size() - 1] * shape[shape.size() - 2];
    for (int d = static_cast<int>(full.size()) - 1; d >= 0; --d) {
      strides[d] = s;
      s *= full[d];
    }
    return broadcastStrides(full, strides, batch);
  };
  std::array<llvm::SmallVector<int64_t, 4>, 3> strides = {
      batchStrides(ls), batchStrides(rs), batchStrides(os)};
  llvm::SmallVector<int64_t, 4> dims;
  std::array<llvm::SmallVector<int64_t, 4>, 3> merged;
  for (size_t d = 0; d < batch.size(); ++d) {
    if (batch[d] == 1)
      continue;
    bool merge = !dims.empty();
    for (int o = 0; merge && o < 3; ++o)
      merge = merged[o].back() == strides[o][d] * batch[d];
    if (merge) {
      dims.back() *= batch[d];
      for (int o = 0; o < 3; ++o)
        merged[o].back() = strides[o][d];
      continue;
    }
    dims.push_back(batch[d]);
    for (int o = 0; o < 3; ++o)
      merged[o].push_back(strides[o][d]);
  }
  // One shared B over a contiguous batch of A rows is one taller GEMM.
  if (dims.size() == 1 && merged[1][0] == 0 && !a.trans_a &&
      merged[0][0] == a.m * a.k && merged[2][0] == a.m * a.n) {
    a.m *= dims[0];
    dims.clear();
  }
  if (dims.size() > 3)
    return opError(
        op, "the cpu target supports at most 3 non-contiguous batch dims");
  for (int d = 0; d < 3; ++d) {
    bool used = d < static_cast<int>(dims.size());
    a.batch[d] = used ? dims[d] : 1;
    a.a_batch_stride[d] = used ? merged[0][d] : 0;
    a.b_batch_stride[d] = used ? merged[1][d] : 0;
    a.c_batch_stride[d] = used ? merged[2][d] : 0;
  }
  runLibrary("matmul", a,
             {{offsetof(attnc_matmul_args, a), bufferPtr(op.getLhs())},
              {offsetof(attnc_matmul_args, b), bufferPtr(op.getRhs())},
              {offsetof(attnc_matmul_args, c), bufferPtr(kernel.outputs[0])}},
             /*hasScratch=*/true);
  return llvm::Error::success();
}

llvm::Error ModelEmitter::emitRowKernel(const Kernel &kernel, unsigned index) {
  Operation *op = kernel.root;
  auto f32Only = [&](Value v) -> llvm::Error {
    if (tensorType(v).getElementType().isF32())
      return llvm::Error::success();
    return opError(op, "the cpu target computes this op in f32 only");
  };
  auto product = [](ArrayRef<int64_t> dims) {
    int64_t p = 1;
    for (int64_t d : dims)
      p *= d;
    return p;
  };

  if (isa<attn::SoftmaxOp, attn::LogSoftmaxOp>(op)) {
    Value in = op->getOperand(0);
    if (llvm::Error e = f32Only(in))
      return e;
    ArrayRef<int64_t> shape = shapeOf(in);
    int64_t axis = isa<attn::SoftmaxOp>(op)
                       ? cast<attn::SoftmaxOp>(op).getNormalizedAxis()
                       : cast<attn::LogSoftmaxOp>(op).getNormalizedAxis();
    attnc_softmax_args a = {};
    a.outer = product(shape.take_front(axis));
    a.n = shape[axis];
    a.inner = product(shape.drop_front(axis + 1));
    a.log = isa<attn::LogSoftmaxOp>(op);
    runLibrary(
        "softmax", a,
        {{offsetof(attnc_softmax_args, in), bufferPtr(in)},
         {offsetof(attnc_softmax_args, out), bufferPtr(kernel.outputs[0])}},
        true);
    return llvm::Error::success();
  }

  if (auto sms = dyn_cast<attn::ScaledMaskedSoftmaxOp>(op)) {
    Value in = sms.getInput();
    if (llvm::Error e = f32Only(in))
      return e;
    ArrayRef<int64_t> shape = shapeOf(in);
    if (shape.size() > ATTNC_MAX_RANK)
      return opError(op, "rank above " + llvm::Twine(ATTNC_MAX_RANK));
    attnc_masked_softmax_args a = {};
    a.rank = shape.size() - 1;
    a.n = shape.back();
    for (int32_t d = 0; d < a.rank; ++d)
      a.shape[d] = shape[d];
    a.scale = sms.getScale().convertToFloat();
    a.causal = static_cast<int32_t>(sms.getCausal());
    llvm::Value *maskPtr = llvm::ConstantPointerNull::get(ptrTy);
    if (Value mask = sms.getMask()) {
      Type et = tensorType(mask).getElementType();
      if (!et.isF32() && !et.isInteger(1))
        return opError(op, "the cpu target takes f32 or i1 softmax masks");
      a.mask_kind = et.isF32() ? 1 : 2;
      auto strides = broadcastStrides(shapeOf(mask), stridesOf(mask), shape);
      for (size_t d = 0; d < strides.size(); ++d)
        a.mask_stride[d] = strides[d];
      maskPtr = bufferPtr(mask);
    }
    runLibrary("masked_softmax", a,
               {{offsetof(attnc_masked_softmax_args, in), bufferPtr(in)},
                {offsetof(attnc_masked_softmax_args, out),
                 bufferPtr(kernel.outputs[0])},
                {offsetof(attnc_masked_softmax_args, mask), maskPtr}},
               false);
    return llvm::Error::success();
  }

  if (auto ln = dyn_cast<attn::LayerNormOp>(op)) {
    Value in = ln.getInput();
    if (llvm::Error e = f32Only(in))
      return e;
    ArrayRef<int64_t> shape = shapeOf(in);
    int64_t axis = ln.getNormalizedAxis();
    attnc_layer_norm_args a = {};
    a.rows = product(shape.take_front(axis));
    a.n = product(shape.drop_front(axis));
    a.epsilon = ln.getEpsilon().convertToFloat();
    llvm::Value *null = llvm::ConstantPointerNull::get(ptrTy);
    runLibrary(
        "layer_norm", a,
        {{offsetof(attnc_layer_norm_args, in), bufferPtr(in)},
         {offsetof(attnc_layer_norm_args, out), bufferPtr(kernel.outputs[0])},
         {offsetof(attnc_layer_norm_args, scale),
          ln.getScale() ? bufferPtr(ln.getScale()) : null},
         {offsetof(attnc_layer_norm_args, bias),
          ln.getBias() ? bufferPtr(ln.getBias()) : null}},
        false);
    return llvm::Error::success();
  }

  if (auto reduce = dyn_cast<attn::ReduceOp>(op)) {
    Value in = reduce.getInput();
    ArrayRef<int64_t> shape = shapeOf(in);
    Type et = tensorType(in).getElementType();
    if (!(et.isF32() || et.isF64() || et.isInteger(32) || et.isInteger(64)))
      return opError(op, "the cpu target reduces f32, f64, i32 and i64 only");
    if (shape.size() > ATTNC_MAX_RANK)
      return opError(op, "rank above " + llvm::Twine(ATTNC_MAX_RANK));
    attnc_reduce_args a = {};
    a.dtype = getAbiDtype(et);
    a.kind = static_cast<int32_t>(reduce.getKind());
    a.rank = shape.size();
    for (size_t d = 0; d < shape.size(); ++d)
      a.shape[d] = shape[d];
    for (int64_t axis : reduce.getAxes())
      a.reduced[*attn::normalizeAxis(axis, shape.size())] = 1;
    runLibrary(
        "reduce", a,
        {{offsetof(attnc_reduce_args, in), bufferPtr(in)},
         {offsetof(attnc_reduce_args, out), bufferPtr(kernel.outputs[0])}},
        false);
    return llvm::Error::success();
  }

  if (auto gather = dyn_cast<attn::GatherOp>(op)) {
    ArrayRef<int64_t> table = shapeOf(gather.getTable());
    int64_t axis = *attn::normalizeAxis(gather.getAxis(), table.size());
    attnc_gather_args a = {};
    a.outer = product(table.take_front(axis));
    a.n = table[axis];
    a.count = product(shapeOf(gather.getIndices()));
    a.row_bytes =
        product(table.drop_front(axis + 1)) *
        getAbiElementBytes(tensorType(gather.getTable()).getElementType());
    a.index_bytes =
        tensorType(gather.getIndices()).getElementType().isInteger(64) ? 8 : 4;
    std::string where;
    llvm::raw_string_ostream os(where);
    os << "attn.gather at " << op->getLoc();
    runLibrary(
        "gather", a,
        {{offsetof(attnc_gather_args, table), bufferPtr(gather.getTable())},
         {offsetof(attnc_gather_args, indices), bufferPtr(gather.getIndices())},
         {offsetof(attnc_gather_args, out), bufferPtr(kernel.outputs[0])},
         {offsetof(attnc_gather_args, ctx), ctxArg},
         {offsetof(attnc_gather_args, what),
          addStringConstant(module, os.str(),
                            "attnc.where." + std::to_string(index))}},
        false);
    // Stop at the first bad index: later kernels would read its zeros.
    auto *failed = llvm::BasicBlock::Create(context, "failed", runFn);
    auto *next = llvm::BasicBlock::Create(context, "next", runFn);
    llvm::Value *flag =
        b.CreateCall(declare("attnc_cpu_failed", i32, {ptrTy}), {ctxArg});
    b.CreateCondBr(b.CreateICmpNE(flag, b.getInt32(0)), failed, next);
    b.SetInsertPoint(failed);
    b.CreateRet(b.getInt32(1));
    b.SetInsertPoint(next);
    return llvm::Error::success();
  }
  return opError(op, "cannot be compiled for the cpu target");
}

llvm::Error ModelEmitter::emitKernel(const Kernel &kernel, unsigned index) {
  for (Value v : kernel.outputs)
    if (tensorType(v).getNumElements() == 0)
      return llvm::Error::success();
  if (kernel.elementwise)
    return emitElementwise(kernel, index);
  Operation *op = kernel.root;
  if (kernel.copyToOutput >= 0 ||
      isa<attn::TransposeOp, attn::SliceOp, attn::ConcatOp, attn::SplitOp,
          attn::CausalMaskOp>(op))
    return emitDataMovement(kernel, index);
  if (auto attention = dyn_cast<attn::AttentionOp>(op))
    return emitAttention(kernel, attention);
  if (auto matmul = dyn_cast<attn::MatmulOp>(op))
    return emitMatmul(kernel, matmul);
  return emitRowKernel(kernel, index);
}

llvm::Error ModelEmitter::emit(llvm::StringRef modelName,
                               llvm::StringRef targetCpu,
                               llvm::StringRef requiredFeatures) {
  if (llvm::Error e = emitWeights())
    return e;
  addModelInfo(module, func, modelName, "cpu");
  for (auto [name, text] :
       {std::pair<const char *, llvm::StringRef>{"attnc_cpu_target_cpu",
                                                 targetCpu},
        {"attnc_cpu_required_features", requiredFeatures}}) {
    auto *string = llvm::ConstantDataArray::getString(context, text, true);
    new llvm::GlobalVariable(module, string->getType(), true,
                             llvm::GlobalValue::ExternalLinkage, string, name);
  }
  new llvm::GlobalVariable(
      module, i64, true, llvm::GlobalValue::ExternalLinkage,
      b.getInt64(schedule.arenaBytes), "attnc_cpu_arena_bytes");

  // attnc_cpu_scratch_bytes: filled in as library kernels are emitted.
  llvm::Function *scratchFn = llvm::Function::Create(
      llvm::FunctionType::get(i64, false), llvm::GlobalValue::ExternalLinkage,
      "attnc_cpu_scratch_bytes", module);
  scratchBuilder.SetInsertPoint(
      llvm::BasicBlock::Create(context, "entry", scratchFn));
  scratchMax = scratchBuilder.getInt64(0);

  runFn = llvm::Function::Create(
      llvm::FunctionType::get(i32, {ptrTy, ptrTy, ptrTy, ptrTy}, false),
      llvm::GlobalValue::ExternalLinkage, "attnc_cpu_run", module);
  ctxArg = runFn->getArg(0);
  inputsArg = runFn->getArg(1);
  outputsArg = runFn->getArg(2);
  arenaArg = runFn->getArg(3);
  for (llvm::Argument &arg : runFn->args())
    arg.addAttr(llvm::Attribute::NoUndef);
  b.SetInsertPoint(llvm::BasicBlock::Create(context, "entry", runFn));
  // Sized once every kernel is emitted.
  stack = b.CreateAlloca(b.getInt8Ty(), b.getInt64(16), "args");
  stack->setAlignment(llvm::Align(16));

  for (auto [index, kernel] : llvm::enumerate(schedule.kernels))
    if (llvm::Error e = emitKernel(kernel, index))
      return e;
  b.CreateRet(b.getInt32(0));
  scratchBuilder.CreateRet(scratchMax);

  auto *sized = new llvm::AllocaInst(
      b.getInt8Ty(), 0, b.getInt64(std::max<int64_t>(stackBytes, 16)),
      llvm::Align(16), "args", stack);
  stack->replaceAllUsesWith(sized);
  stack->eraseFromParent();
  return llvm::Error::success();
}

} // namespace

llvm::ArrayRef<llvm::StringRef> cpu::getRuntimeEntryPoints() {
  static const llvm::StringRef names[] = {
      "attnc_rt_info",           "attnc_cpu_run",
      "attnc_cpu_scratch_bytes", "attnc_cpu_arena_bytes",
      "attnc_cpu_target_cpu",    "attnc_cpu_required_features"};
  return names;
}

llvm::Error cpu::emitModel(const Schedule &schedule, llvm::StringRef modelName,
                           llvm::StringRef targetCpu,
                           llvm::StringRef requiredFeatures,
                           llvm::Module &module) {
  ModelEmitter emitter(schedule, module);
  return emitter.emit(modelName, targetCpu, requiredFeatures);
}
