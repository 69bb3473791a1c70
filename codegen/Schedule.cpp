//===- Schedule.cpp - kernels and buffers of an optimised graph -----------===//
//
// Algorithm:
//  1. Walk the entry function: constants become weights, reshapes become
//     views of their input's buffer, every other op is computed by a kernel.
//  2. An elementwise op whose only user is an elementwise op of the same
//     result shape is fused into that user's kernel (computed per element,
//     never stored); the remaining ops root kernels.
//  3. Each returned value is written straight into its output buffer when a
//     kernel produces it; a value returned twice, an input or a weight that
//     is returned gets a final copy kernel.
//  4. With ScheduleOptions::matmulEpilogues, an elementwise tree with one
//     single-use matmul leaf of its shape and element type is computed in
//     that matmul's kernel, after the product, instead of in a kernel of
//     its own.
//  5. With ScheduleOptions::stridedAttentionViews, transposes that only
//     feed attention operands, or only take an attention's result, are
//     views: no kernel, the attention reads/writes through strides.
//  6. The other kernel results live in one arena: each occupies a 64-byte
//     aligned slot from the kernel that writes it to the last kernel that
//     reads it (through views too); slots are placed largest first at the
//     lowest offset free for their whole lifetime.
//
//===----------------------------------------------------------------------===//

#include "codegen/Schedule.h"

#include "ir/AttnOps.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace attnc;

namespace {

constexpr int64_t kSlotAlignment = 64;

llvm::Error scheduleError(Operation *op, const llvm::Twine &message) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << op->getLoc() << ": " << message;
  return llvm::createStringError(llvm::inconvertibleErrorCode(), os.str());
}

bool isElementwise(Operation *op) {
  return isa<attn::AddOp, attn::SubOp, attn::MulOp, attn::DivOp, attn::PowOp,
             attn::MaxOp, attn::MinOp, attn::AndOp, attn::OrOp, attn::ExpOp,
             attn::LogOp, attn::TanhOp, attn::ErfOp, attn::SqrtOp,
             attn::RsqrtOp, attn::NegOp, attn::AbsOp, attn::ReluOp,
             attn::SigmoidOp, attn::NotOp, attn::GeluOp, attn::CompareOp,
             attn::SelectOp, attn::CastOp, attn::BroadcastToOp>(op);
}

ArrayRef<int64_t> shapeOf(Value v) {
  return v.getType().cast<RankedTensorType>().getShape();
}

/// True when `op` is computed inside its only user's kernel.
bool isFusedIntoUser(Operation *op) {
  if (!isElementwise(op) || !op->hasOneUse())
    return false;
  Operation *user = *op->getUsers().begin();
  return isElementwise(user) &&
         shapeOf(op->getResult(0)) == shapeOf(user->getResult(0));
}

/// Post-order of the fused tree under `root`, and the values it reads.
void collectTree(Operation *op, Kernel &kernel,
                 llvm::SetVector<Value> &inputs) {
  for (Value operand : op->getOperands()) {
    Operation *def = operand.getDefiningOp();
    if (def && isFusedIntoUser(def))
      collectTree(def, kernel, inputs);
    else
      inputs.insert(operand);
  }
  kernel.ops.push_back(op);
}

/// The value whose storage `v` views (through reshapes and, when given,
/// view transposes).
Value storageOf(Value v,
                const llvm::DenseSet<Operation *> *viewTransposes = nullptr) {
  for (;;) {
    if (auto reshape = v.getDefiningOp<attn::ReshapeOp>()) {
      v = reshape.getInput();
      continue;
    }
    auto transpose = v.getDefiningOp<attn::TransposeOp>();
    if (transpose && viewTransposes && viewTransposes->count(transpose)) {
      v = transpose.getInput();
      continue;
    }
    return v;
  }
}

/// True for a transpose that leaves the last dim in place.
bool keepsLastDim(attn::TransposeOp transpose) {
  ArrayRef<int64_t> perm = transpose.getPerm();
  return !perm.empty() && perm.back() == static_cast<int64_t>(perm.size()) - 1;
}

/// The transpose an attention writes its result through, if any.
attn::TransposeOp outputViewOf(attn::AttentionOp attention) {
  if (!attention->hasOneUse())
    return nullptr;
  auto transpose = dyn_cast<attn::TransposeOp>(*attention->getUsers().begin());
  return transpose && keepsLastDim(transpose) ? transpose : nullptr;
}

/// Transposes that become views: an attention's output transpose, or a
/// transpose of a non-view value used only as attention Q/K/V.
void findViewTransposes(func::FuncOp func, llvm::DenseSet<Operation *> &views,
                        llvm::DenseSet<Operation *> &outputViews) {
  func.walk([&](attn::AttentionOp attention) {
    if (attn::TransposeOp t = outputViewOf(attention))
      outputViews.insert(t);
  });
  func.walk([&](attn::TransposeOp t) {
    if (outputViews.count(t) || !keepsLastDim(t) || t->use_empty())
      return;
    for (OpOperand &use : t->getUses()) {
      auto attention = dyn_cast<attn::AttentionOp>(use.getOwner());
      if (!attention || attention.isPacked() || use.getOperandNumber() > 2)
        return;
    }
    views.insert(t);
  });
  // A view of a view would need composed strides: keep the inner one a kernel.
  llvm::SmallVector<Operation *> nested;
  for (Operation *t : views)
    if (Operation *def = storageOf(cast<attn::TransposeOp>(t).getInput())
                             .getDefiningOp();
        def && views.count(def))
      nested.push_back(t);
  for (Operation *t : nested)
    views.erase(t);
}

/// Matmuls that become the epilogue base of the elementwise tree rooted at
/// the op they map to (ScheduleOptions::matmulEpilogues).
llvm::DenseMap<Operation *, Operation *>
findMatmulEpilogues(func::FuncOp func) {
  llvm::DenseMap<Operation *, Operation *> epilogueOf;
  func.walk([&](Operation *root) {
    if (!isElementwise(root) || isFusedIntoUser(root) ||
        root->getNumResults() != 1)
      return;
    Value result = root->getResult(0);
    Type element = result.getType().cast<RankedTensorType>().getElementType();
    if (!element.isa<FloatType>())
      return;
    Kernel tree;
    llvm::SetVector<Value> leaves;
    collectTree(root, tree, leaves);
    Operation *only = nullptr;
    int candidates = 0;
    for (Value leaf : leaves) {
      auto matmul = leaf.getDefiningOp<attn::MatmulOp>();
      if (!matmul || !matmul->hasOneUse() || leaf.getType() != result.getType())
        continue;
      only = matmul;
      ++candidates;
    }
    if (candidates == 1)
      epilogueOf[only] = root;
  });
  return epilogueOf;
}

struct Interval {
  Value value;
  int first, last;
  int64_t bytes;
};

/// Places each interval at the lowest offset free for its lifetime.
int64_t packArena(std::vector<Interval> &intervals,
                  llvm::DenseMap<Value, BufferRef> &buffers) {
  std::stable_sort(intervals.begin(), intervals.end(),
                   [](const Interval &a, const Interval &b) {
                     return a.bytes > b.bytes;
                   });
  struct Placed {
    int first, last;
    int64_t offset, end;
  };
  std::vector<Placed> placed;
  int64_t total = 0;
  for (const Interval &iv : intervals) {
    int64_t size = (iv.bytes + kSlotAlignment - 1) / kSlotAlignment * kSlotAlignment;
    std::vector<std::pair<int64_t, int64_t>> busy;
    for (const Placed &p : placed)
      if (p.first <= iv.last && iv.first <= p.last)
        busy.push_back({p.offset, p.end});
    std::sort(busy.begin(), busy.end());
    int64_t offset = 0;
    for (auto [begin, end] : busy) {
      if (offset + size <= begin)
        break;
      offset = std::max(offset, end);
    }
    placed.push_back({iv.first, iv.last, offset, offset + size});
    total = std::max(total, offset + size);
    BufferRef ref;
    ref.kind = BufferRef::Kind::Arena;
    ref.offset = offset;
    ref.bytes = iv.bytes;
    buffers[iv.value] = ref;
  }
  return total;
}

} // namespace

int64_t attnc::tensorBytes(Type type) {
  auto tensor = type.cast<RankedTensorType>();
  Type element = tensor.getElementType();
  int64_t width = element.isInteger(1) ? 1 : element.getIntOrFloatBitWidth() / 8;
  return tensor.getNumElements() * width;
}

const BufferRef &Schedule::getBuffer(Value value) const {
  auto it = buffers.find(value);
  assert(it != buffers.end() && "value has no buffer");
  return it->second;
}

llvm::Expected<Schedule> attnc::buildSchedule(func::FuncOp func,
                                              const ScheduleOptions &options) {
  Schedule schedule;
  schedule.func = func;
  llvm::DenseSet<Operation *> outputViews;
  if (options.stridedAttentionViews)
    findViewTransposes(func, schedule.viewTransposes, outputViews);
  const llvm::DenseSet<Operation *> *views = &schedule.viewTransposes;
  llvm::DenseMap<Operation *, Operation *> epilogueOf;
  if (options.matmulEpilogues)
    epilogueOf = findMatmulEpilogues(func);
  llvm::DenseMap<Operation *, Operation *> baseOf;
  for (auto [matmul, root] : epilogueOf)
    baseOf[root] = matmul;
  auto bytesOf = [&](Value v) {
    if (!options.elementBytes)
      return tensorBytes(v.getType());
    auto tensor = v.getType().cast<RankedTensorType>();
    return tensor.getNumElements() *
           options.elementBytes(tensor.getElementType());
  };
  auto ref = [&](BufferRef::Kind kind, int index, Value v) {
    BufferRef r;
    r.kind = kind;
    r.index = index;
    r.bytes = bytesOf(v);
    return r;
  };
  for (BlockArgument arg : func.getArguments())
    schedule.buffers[arg] = ref(BufferRef::Kind::Input, arg.getArgNumber(), arg);

  // Kernels in program order; the kernel index that produces each value.
  llvm::DenseMap<Value, int> producer;
  for (Operation &op : func.getBody().front()) {
    if (isa<func::ReturnOp>(op))
      continue;
    if (op.getDialect() != func->getContext()->getLoadedDialect<attn::AttnDialect>())
      return scheduleError(&op, "'" + op.getName().getStringRef() +
                                    "' cannot be compiled (only attn ops can)");
    if (auto constant = dyn_cast<attn::ConstantOp>(op)) {
      schedule.buffers[constant] =
          ref(BufferRef::Kind::Constant, schedule.constants.size(), constant);
      schedule.constants.push_back(constant);
      continue;
    }
    if (isa<attn::ReshapeOp>(op) || isFusedIntoUser(&op) || views->count(&op) ||
        outputViews.count(&op) || epilogueOf.count(&op))
      continue;
    if (auto attention = dyn_cast<attn::AttentionOp>(op); attention && attention.isPacked())
      return scheduleError(&op, "packed attention reached code generation "
                                "(attn-split-heads did not run)");
    Kernel kernel;
    kernel.root = &op;
    kernel.elementwise = isElementwise(&op);
    llvm::SetVector<Value> inputs;
    if (Operation *matmul = baseOf.lookup(&op)) {
      // The matmul runs the tree as its epilogue, at the tree's place.
      kernel.root = matmul;
      kernel.elementwise = false;
      kernel.ops.push_back(matmul);
      inputs.insert(matmul->operand_begin(), matmul->operand_end());
      llvm::SetVector<Value> leaves;
      collectTree(&op, kernel, leaves);
      for (Value leaf : leaves)
        if (leaf != matmul->getResult(0))
          inputs.insert(leaf);
    } else if (kernel.elementwise) {
      collectTree(&op, kernel, inputs);
    } else {
      kernel.ops.push_back(&op);
      inputs.insert(op.operand_begin(), op.operand_end());
    }
    kernel.inputs.assign(inputs.begin(), inputs.end());
    kernel.outputs.assign(op.result_begin(), op.result_end());
    if (auto attention = dyn_cast<attn::AttentionOp>(op))
      if (attn::TransposeOp t = outputViewOf(attention);
          t && outputViews.count(t))
        kernel.outputs[0] = t.getResult();
    for (Value result : kernel.outputs)
      producer[result] = schedule.kernels.size();
    schedule.kernels.push_back(std::move(kernel));
  }

  // Returned values go straight to their output buffers where possible.
  auto returnOp = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  llvm::DenseSet<Value> written;
  for (auto [index, value] : llvm::enumerate(returnOp.getOperands())) {
    Value storage = storageOf(value, views);
    if (producer.count(storage) && written.insert(storage).second) {
      BufferRef out = ref(BufferRef::Kind::Output, index, storage);
      schedule.buffers[storage] = out;
      continue;
    }
    Kernel copy;
    copy.root = returnOp;
    copy.inputs.push_back(value);
    copy.outputs.push_back(value);
    copy.copyToOutput = index;
    schedule.kernels.push_back(std::move(copy));
  }

  // Lifetimes of the arena values: from their kernel to their last reader.
  llvm::DenseMap<Value, int> lastUse;
  for (auto [index, kernel] : llvm::enumerate(schedule.kernels))
    for (Value input : kernel.inputs)
      lastUse[storageOf(input, views)] = index;
  std::vector<Interval> intervals;
  for (auto [index, kernel] : llvm::enumerate(schedule.kernels)) {
    if (kernel.copyToOutput >= 0)
      continue;
    for (Value output : kernel.outputs) {
      if (schedule.buffers.count(output))
        continue; // an output buffer
      int last = std::max<int>(index, lastUse.lookup(output));
      intervals.push_back(
          {output, static_cast<int>(index), last, bytesOf(output)});
    }
  }
  schedule.arenaBytes = packArena(intervals, schedule.buffers);

  // Views share their storage's buffer.
  func.walk([&](Operation *op) {
    if (!isa<attn::ReshapeOp>(op) && !views->count(op))
      return;
    auto it = schedule.buffers.find(storageOf(op->getResult(0), views));
    if (it == schedule.buffers.end())
      return;
    // A copy: inserting may grow the map and move what `it` points to.
    BufferRef storage = it->second;
    schedule.buffers[op->getResult(0)] = storage;
  });
  return schedule;
}

void attnc::printSchedule(const Schedule &schedule, llvm::raw_ostream &os) {
  auto printRef = [&](const BufferRef &r) {
    switch (r.kind) {
    case BufferRef::Kind::Input: os << "input " << r.index; break;
    case BufferRef::Kind::Output: os << "output " << r.index; break;
    case BufferRef::Kind::Constant: os << "weight " << r.index; break;
    case BufferRef::Kind::Arena: os << "arena+" << r.offset; break;
    }
    os << " (" << r.bytes << " B)";
  };
  os << "schedule: " << schedule.kernels.size() << " kernels, "
     << schedule.constants.size() << " weights, arena "
     << schedule.arenaBytes << " B\n";
  for (auto [index, kernel] : llvm::enumerate(schedule.kernels)) {
    os << "  kernel " << index << ": ";
    if (kernel.copyToOutput >= 0)
      os << "copy to output " << kernel.copyToOutput;
    else
      os << kernel.root->getName() << " (" << kernel.ops.size() << " ops)";
    os << "\n";
    for (Value v : kernel.inputs) {
      os << "    reads  ";
      printRef(schedule.getBuffer(v));
      os << "\n";
    }
    for (Value v : kernel.outputs) {
      os << "    writes ";
      if (kernel.copyToOutput >= 0)
        os << "output " << kernel.copyToOutput;
      else
        printRef(schedule.getBuffer(v));
      os << "\n";
    }
  }
}
