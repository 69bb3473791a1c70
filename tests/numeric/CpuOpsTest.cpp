//===- CpuOpsTest.cpp - every op, the examples and the ABI on the CPU -----===//
//
// One module exercises every op kind the CPU target compiles (elementwise
// chains with broadcasting, bool and integer inputs, reductions, norms,
// softmaxes, data movement, gather, matmul, attention through transposes,
// several outputs, an output that is an input) against the fp64 oracle;
// every examples/*.json model is verified end to end; and the C ABI refuses
// bad arguments, reports bad gather indices and gives the same numbers on
// one thread as on two.
//
//===----------------------------------------------------------------------===//

#include "tests/numeric/NumericHarness.h"

#include "driver/Inputs.h"
#include "driver/ModelLoader.h"
#include "driver/Verify.h"
#include "ir/ModelConventions.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

using namespace attnc;
using namespace attnc::test;

namespace {

const char *kOpsModule = R"mlir(
func.func @forward(%x: tensor<3x5x8xf32> {attn.name = "x"}, %y: tensor<8xf32> {attn.name = "y"},
                   %z: tensor<3x1x8xf32> {attn.name = "z"}, %keep: tensor<3x5x8xi1> {attn.name = "keep"},
                   %tok: tensor<2x3xi64> {attn.name = "tok"}, %table: tensor<10x8xf32> {attn.name = "table"},
                   %ints: tensor<3x5xi32> {attn.name = "ints"}, %w: tensor<8x4xf32> {attn.name = "w"},
                   %u: tensor<1x5x2xf32> {attn.name = "u"}, %s: tensor<2x4x6x6xf32> {attn.name = "scores"},
                   %m: tensor<2x1x1x6xi1> {attn.name = "pad"}, %am: tensor<6x6xf32> {attn.name = "bias"},
                   %sel: tensor<4xi32> {attn.name = "sel"}, %qa: tensor<2x6x16xf32> {attn.name = "qa"},
                   %ka: tensor<2x6x16xf32> {attn.name = "ka"}, %va: tensor<2x6x16xf32> {attn.name = "va"})
    -> (tensor<3x5x8xf32> {attn.name = "chain"}, tensor<3x5x8xf32> {attn.name = "math"},
        tensor<3x5x8xf32> {attn.name = "select"}, tensor<3x5x8xi1> {attn.name = "bools"},
        tensor<3x5xf32> {attn.name = "cast_in"}, tensor<3x5x8xi64> {attn.name = "cast_out"},
        tensor<2x3xi64> {attn.name = "tok_math"}, tensor<3xi32> {attn.name = "int_sum"},
        tensor<3x1x8xf32> {attn.name = "sum"}, tensor<3x5xf32> {attn.name = "mean"},
        tensor<5xf32> {attn.name = "max"}, tensor<3x5xf32> {attn.name = "min"},
        tensor<3x5x8xf32> {attn.name = "layer_norm"}, tensor<3x5x8xf32> {attn.name = "layer_norm_axis1"},
        tensor<3x5x8xf32> {attn.name = "softmax_axis1"}, tensor<3x5x8xf32> {attn.name = "log_softmax"},
        tensor<2x4x6x6xf32> {attn.name = "masked_softmax"}, tensor<2x4x6x6xf32> {attn.name = "biased_softmax"},
        tensor<8x3x5xf32> {attn.name = "transpose"}, tensor<2x3x3xf32> {attn.name = "slice"},
        tensor<3x10x8xf32> {attn.name = "concat"}, tensor<3x5x3xf32> {attn.name = "split0"},
        tensor<3x5x5xf32> {attn.name = "split1"}, tensor<2x3x8xf32> {attn.name = "embed"},
        tensor<3x4x8xf32> {attn.name = "gather_axis1"}, tensor<3x5x4xf32> {attn.name = "matmul"},
        tensor<3x5x5xf32> {attn.name = "matmul_tb"}, tensor<3x8x2xf32> {attn.name = "matmul_ta_bcast"},
        tensor<5x7xi1> {attn.name = "causal_mask"}, tensor<3x5x8xf32> {attn.name = "broadcast"},
        tensor<15x8xf32> {attn.name = "reshape"}, tensor<2x6x16xf32> {attn.name = "mha"},
        tensor<3x5x8xf32> {attn.name = "x_again"}, tensor<3x5x8xf32> {attn.name = "chain_again"}) {
  %a = attn.add %x, %y : (tensor<3x5x8xf32>, tensor<8xf32>) -> tensor<3x5x8xf32>
  %b = attn.tanh %a : tensor<3x5x8xf32>
  %c = attn.mul %b, %z : (tensor<3x5x8xf32>, tensor<3x1x8xf32>) -> tensor<3x5x8xf32>
  %d = attn.sigmoid %c : tensor<3x5x8xf32>
  %e = attn.erf %x : tensor<3x5x8xf32>
  %f = attn.sub %d, %e : (tensor<3x5x8xf32>, tensor<3x5x8xf32>) -> tensor<3x5x8xf32>
  %g = attn.gelu %x {approximate = #attn<gelu tanh>} : tensor<3x5x8xf32>
  %h = attn.gelu %z : tensor<3x1x8xf32>
  %i = attn.mul %g, %h : (tensor<3x5x8xf32>, tensor<3x1x8xf32>) -> tensor<3x5x8xf32>
  %chain = attn.add %f, %i : (tensor<3x5x8xf32>, tensor<3x5x8xf32>) -> tensor<3x5x8xf32>

  %ab = attn.abs %x : tensor<3x5x8xf32>
  %one = attn.constant dense<1.0> : tensor<f32>
  %ab1 = attn.add %ab, %one : (tensor<3x5x8xf32>, tensor<f32>) -> tensor<3x5x8xf32>
  %lg = attn.log %ab1 : tensor<3x5x8xf32>
  %sq = attn.sqrt %ab : tensor<3x5x8xf32>
  %rs = attn.rsqrt %ab1 : tensor<3x5x8xf32>
  %ex = attn.exp %x : tensor<3x5x8xf32>
  %pw = attn.pow %ab1, %y : (tensor<3x5x8xf32>, tensor<8xf32>) -> tensor<3x5x8xf32>
  %ng = attn.neg %x : tensor<3x5x8xf32>
  %rl = attn.relu %ng : tensor<3x5x8xf32>
  %mx = attn.max %lg, %sq : (tensor<3x5x8xf32>, tensor<3x5x8xf32>) -> tensor<3x5x8xf32>
  %mn = attn.min %rs, %ex : (tensor<3x5x8xf32>, tensor<3x5x8xf32>) -> tensor<3x5x8xf32>
  %m1 = attn.add %mx, %mn : (tensor<3x5x8xf32>, tensor<3x5x8xf32>) -> tensor<3x5x8xf32>
  %m2 = attn.add %m1, %pw : (tensor<3x5x8xf32>, tensor<3x5x8xf32>) -> tensor<3x5x8xf32>
  %m3 = attn.add %m2, %rl : (tensor<3x5x8xf32>, tensor<3x5x8xf32>) -> tensor<3x5x8xf32>
  %math = attn.div %m3, %ab1 : (tensor<3x5x8xf32>, tensor<3x5x8xf32>) -> tensor<3x5x8xf32>

  %gt = attn.compare %x, %z {predicate = #attn<cmp gt>} : (tensor<3x5x8xf32>, tensor<3x1x8xf32>) -> tensor<3x5x8xi1>
  %both = attn.and %gt, %keep : (tensor<3x5x8xi1>, tensor<3x5x8xi1>) -> tensor<3x5x8xi1>
  %nk = attn.not %keep : tensor<3x5x8xi1>
  %either = attn.or %both, %nk : (tensor<3x5x8xi1>, tensor<3x5x8xi1>) -> tensor<3x5x8xi1>
  %select = attn.select %either, %x, %y : (tensor<3x5x8xi1>, tensor<3x5x8xf32>, tensor<8xf32>) -> tensor<3x5x8xf32>
  %bools = attn.compare %x, %y {predicate = #attn<cmp le>} : (tensor<3x5x8xf32>, tensor<8xf32>) -> tensor<3x5x8xi1>

  %cast_in = attn.cast %ints : tensor<3x5xi32> to tensor<3x5xf32>
  %four = attn.constant dense<4.0> : tensor<f32>
  %x4 = attn.mul %x, %four : (tensor<3x5x8xf32>, tensor<f32>) -> tensor<3x5x8xf32>
  %cast_out = attn.cast %x4 : tensor<3x5x8xf32> to tensor<3x5x8xi64>
  %tt = attn.mul %tok, %tok : (tensor<2x3xi64>, tensor<2x3xi64>) -> tensor<2x3xi64>
  %three = attn.constant dense<3> : tensor<i64>
  %tm = attn.max %tok, %three : (tensor<2x3xi64>, tensor<i64>) -> tensor<2x3xi64>
  %tok_math = attn.sub %tt, %tm : (tensor<2x3xi64>, tensor<2x3xi64>) -> tensor<2x3xi64>
  %int_sum = attn.reduce %ints {kind = #attn<reduce sum>, axes = array<i64: 1>} : (tensor<3x5xi32>) -> tensor<3xi32>

  %sum = attn.reduce %x {kind = #attn<reduce sum>, axes = array<i64: 1>, keep_dims = true} : (tensor<3x5x8xf32>) -> tensor<3x1x8xf32>
  %mean = attn.reduce %x {kind = #attn<reduce mean>, axes = array<i64: 2>} : (tensor<3x5x8xf32>) -> tensor<3x5xf32>
  %max = attn.reduce %x {kind = #attn<reduce max>, axes = array<i64: 0, 2>} : (tensor<3x5x8xf32>) -> tensor<5xf32>
  %min = attn.reduce %x {kind = #attn<reduce min>, axes = array<i64: -1>} : (tensor<3x5x8xf32>) -> tensor<3x5xf32>

  %ln = attn.layer_norm %x scale %y bias %y {epsilon = 1.0e-5 : f32} : (tensor<3x5x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<3x5x8xf32>
  %ln1 = attn.layer_norm %x {axis = 1 : i64} : (tensor<3x5x8xf32>) -> tensor<3x5x8xf32>
  %sm = attn.softmax %x {axis = 1 : i64} : tensor<3x5x8xf32>
  %lsm = attn.log_softmax %x {axis = -1 : i64} : tensor<3x5x8xf32>
  %sms = attn.scaled_masked_softmax %s mask %m {scale = 0.5 : f32, causal = #attn<causal bottom_right>} : (tensor<2x4x6x6xf32>, tensor<2x1x1x6xi1>) -> tensor<2x4x6x6xf32>
  %smb = attn.scaled_masked_softmax %s mask %am {scale = 1.0 : f32} : (tensor<2x4x6x6xf32>, tensor<6x6xf32>) -> tensor<2x4x6x6xf32>

  %tr = attn.transpose %x {perm = array<i64: 2, 0, 1>} : (tensor<3x5x8xf32>) -> tensor<8x3x5xf32>
  %sl = attn.slice %x {starts = array<i64: 1, 0, 1>, limits = array<i64: 3, 5, 8>, strides = array<i64: 1, 2, 3>} : (tensor<3x5x8xf32>) -> tensor<2x3x3xf32>
  %cc = attn.concat %x, %sm {axis = 1 : i64} : (tensor<3x5x8xf32>, tensor<3x5x8xf32>) -> tensor<3x10x8xf32>
  %sp:2 = attn.split %x {axis = 2 : i64, sizes = array<i64: 3, 5>} : (tensor<3x5x8xf32>) -> (tensor<3x5x3xf32>, tensor<3x5x5xf32>)
  %ga = attn.gather %table, %tok : (tensor<10x8xf32>, tensor<2x3xi64>) -> tensor<2x3x8xf32>
  %gb = attn.gather %x, %sel {axis = 1 : i64} : (tensor<3x5x8xf32>, tensor<4xi32>) -> tensor<3x4x8xf32>

  %mm = attn.matmul %x, %w : (tensor<3x5x8xf32>, tensor<8x4xf32>) -> tensor<3x5x4xf32>
  %mm2 = attn.matmul %x, %x {transpose_rhs} : (tensor<3x5x8xf32>, tensor<3x5x8xf32>) -> tensor<3x5x5xf32>
  %mm3 = attn.matmul %x, %u {transpose_lhs} : (tensor<3x5x8xf32>, tensor<1x5x2xf32>) -> tensor<3x8x2xf32>
  %cm = attn.causal_mask {causal = #attn<causal bottom_right>} : tensor<5x7xi1>
  %bt = attn.broadcast_to %y : (tensor<8xf32>) -> tensor<3x5x8xf32>
  %rsh = attn.reshape %x : (tensor<3x5x8xf32>) -> tensor<15x8xf32>

  %qr = attn.reshape %qa : (tensor<2x6x16xf32>) -> tensor<2x6x2x8xf32>
  %qt = attn.transpose %qr {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x6x2x8xf32>) -> tensor<2x2x6x8xf32>
  %kr = attn.reshape %ka : (tensor<2x6x16xf32>) -> tensor<2x6x2x8xf32>
  %kt = attn.transpose %kr {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x6x2x8xf32>) -> tensor<2x2x6x8xf32>
  %vr = attn.reshape %va : (tensor<2x6x16xf32>) -> tensor<2x6x2x8xf32>
  %vt = attn.transpose %vr {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x6x2x8xf32>) -> tensor<2x2x6x8xf32>
  %at = attn.attention %qt, %kt, %vt {causal = #attn<causal top_left>} : (tensor<2x2x6x8xf32>, tensor<2x2x6x8xf32>, tensor<2x2x6x8xf32>) -> tensor<2x2x6x8xf32>
  %ot = attn.transpose %at {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x2x6x8xf32>) -> tensor<2x6x2x8xf32>
  %mha = attn.reshape %ot : (tensor<2x6x2x8xf32>) -> tensor<2x6x16xf32>

  return %chain, %math, %select, %bools, %cast_in, %cast_out, %tok_math, %int_sum,
         %sum, %mean, %max, %min, %ln, %ln1, %sm, %lsm, %sms, %smb, %tr, %sl, %cc,
         %sp#0, %sp#1, %ga, %gb, %mm, %mm2, %mm3, %cm, %bt, %rsh, %mha, %x, %chain
    : tensor<3x5x8xf32>, tensor<3x5x8xf32>, tensor<3x5x8xf32>, tensor<3x5x8xi1>,
      tensor<3x5xf32>, tensor<3x5x8xi64>, tensor<2x3xi64>, tensor<3xi32>,
      tensor<3x1x8xf32>, tensor<3x5xf32>, tensor<5xf32>, tensor<3x5xf32>,
      tensor<3x5x8xf32>, tensor<3x5x8xf32>, tensor<3x5x8xf32>, tensor<3x5x8xf32>,
      tensor<2x4x6x6xf32>, tensor<2x4x6x6xf32>, tensor<8x3x5xf32>, tensor<2x3x3xf32>,
      tensor<3x10x8xf32>, tensor<3x5x3xf32>, tensor<3x5x5xf32>, tensor<2x3x8xf32>,
      tensor<3x4x8xf32>, tensor<3x5x4xf32>, tensor<3x5x5xf32>, tensor<3x8x2xf32>,
      tensor<5x7xi1>, tensor<3x5x8xf32>, tensor<15x8xf32>, tensor<2x6x16xf32>,
      tensor<3x5x8xf32>, tensor<3x5x8xf32>
}
)mlir";

const char *kGatherModule = R"mlir(
func.func @forward(%table: tensor<10x4xf32> {attn.name = "table"}, %ids: tensor<3xi64> {attn.name = "ids"})
    -> (tensor<3x4xf32> {attn.name = "rows"}) {
  %0 = attn.gather %table, %ids : (tensor<10x4xf32>, tensor<3xi64>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}
)mlir";

TEST(CpuOps, EveryOpMatchesOracle) {
  std::unique_ptr<mlir::MLIRContext> context = createContext();
  mlir::OwningOpRef<mlir::ModuleOp> module = parseModule(*context, kOpsModule);
  ASSERT_TRUE(module);
  mlir::func::FuncOp entry = mlir::attn::getEntryFunction(*module);
  llvm::Expected<std::vector<HostTensor>> inputs =
      collectInputs(entry, {}, /*seed=*/7);
  ASSERT_TRUE(bool(inputs)) << llvm::toString(inputs.takeError());
  std::vector<OracleTensor> expected = evaluateOracle(*module, *inputs);
  llvm::Expected<std::vector<HostTensor>> got = compileAndRun(*module, *inputs);
  ASSERT_TRUE(bool(got)) << llvm::toString(got.takeError());
  ASSERT_EQ(got->size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i)
    expectClose((*got)[i], expected[i], kFp32TargetTolerance,
                "output " + std::to_string(i) + " '" +
                    mlir::attn::getOutputName(entry, i) + "'");
}

class Library : public ::testing::Test {
protected:
  void SetUp() override {
    context = createContext();
    module = parseModule(*context, kGatherModule);
    ASSERT_TRUE(module);
    llvm::Expected<std::unique_ptr<TempLibrary>> compiled =
        TempLibrary::compile(*module);
    ASSERT_TRUE(bool(compiled)) << llvm::toString(compiled.takeError());
    lib = std::move(*compiled);
    llvm::Expected<std::unique_ptr<LoadedModel>> loaded = lib->load();
    ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
    model = std::move(*loaded);
    std::mt19937 rng(3);
    table = randomTensor({10, 4}, rng);
  }

  HostTensor ids(std::initializer_list<int64_t> values) {
    HostTensor t(DTypeKind::I64, {static_cast<int64_t>(values.size())});
    int64_t i = 0;
    for (int64_t v : values)
      t.data<int64_t>()[i++] = v;
    return t;
  }

  /// The error of a run that must fail.
  std::string runError(std::vector<HostTensor> inputs) {
    llvm::Expected<std::vector<HostTensor>> out = model->run(inputs);
    if (out) {
      ADD_FAILURE() << "the run succeeded";
      return "";
    }
    return llvm::toString(out.takeError());
  }

  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::unique_ptr<TempLibrary> lib;
  std::unique_ptr<LoadedModel> model;
  HostTensor table;
};

TEST_F(Library, NegativeGatherIndicesCountFromTheEnd) {
  std::vector<HostTensor> inputs = {table, ids({-10, 9, -1})};
  llvm::Expected<std::vector<HostTensor>> out = model->run(inputs);
  ASSERT_TRUE(bool(out)) << llvm::toString(out.takeError());
  expectClose((*out)[0], evaluateOracle(*module, inputs)[0],
              kFp32TargetTolerance, "rows");
}

TEST_F(Library, OutOfRangeGatherIndexFailsTheRun) {
  std::string error = runError({table, ids({1, 100, 2})});
  EXPECT_NE(error.find("attn.gather"), std::string::npos) << error;
  EXPECT_NE(error.find("index 100 is out of range [-10, 10)"),
            std::string::npos)
      << error;
  error = runError({table, ids({-11, 0, 0})});
  EXPECT_NE(error.find("index -11"), std::string::npos) << error;
  // The instance stays usable.
  llvm::Expected<std::vector<HostTensor>> out =
      model->run({table, ids({0, 1, 2})});
  EXPECT_TRUE(bool(out)) << llvm::toString(out.takeError());
}

TEST_F(Library, WrongShapeIsRefused) {
  std::string error = runError({table, ids({1, 2, 3, 4})});
  EXPECT_NE(error.find("'ids'"), std::string::npos) << error;
  EXPECT_NE(error.find("expected [3] i64, got [4] i64"), std::string::npos)
      << error;
}

TEST_F(Library, WrongDtypeIsRefused) {
  HostTensor wrong(DTypeKind::I32, {3});
  std::string error = runError({table, wrong});
  EXPECT_NE(error.find("expected [3] i64, got [3] i32"), std::string::npos)
      << error;
}

TEST_F(Library, WrongByteSizeIsRefused) {
  HostTensor shortTable = table;
  shortTable.bytes.resize(shortTable.bytes.size() - 4);
  std::string error = runError({shortTable, ids({0, 1, 2})});
  EXPECT_NE(error.find("expected 160 bytes, got 156"), std::string::npos)
      << error;
}

TEST_F(Library, WrongInputCountIsRefused) {
  std::string error = runError({table});
  EXPECT_NE(error.find("expected 2 inputs"), std::string::npos) << error;
}

TEST_F(Library, HeaderIsWrittenBesideTheLibrary) {
  llvm::SmallString<256> header(llvm::sys::path::parent_path(lib->getPath()));
  llvm::sys::path::append(header, "libmodel.h");
  EXPECT_TRUE(llvm::sys::fs::exists(header)) << header.str().str();
}

TEST(CpuThreads, OneAndTwoThreadsGiveTheSameNumbers) {
  const char *source = std::getenv("ATTNC_SOURCE_DIR");
  ASSERT_TRUE(source) << "ATTNC_SOURCE_DIR is not set (run through ctest)";
  std::unique_ptr<mlir::MLIRContext> context = createContext();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      loadModel(std::string(source) + "/examples/gpt_small.json", *context);
  ASSERT_TRUE(module);
  llvm::Expected<std::vector<HostTensor>> inputs =
      collectInputs(mlir::attn::getEntryFunction(*module), {}, /*seed=*/1);
  ASSERT_TRUE(bool(inputs));
  llvm::Expected<std::unique_ptr<TempLibrary>> lib =
      TempLibrary::compile(*module);
  ASSERT_TRUE(bool(lib)) << llvm::toString(lib.takeError());
  std::vector<std::vector<HostTensor>> results;
  for (int threads : {1, 2}) {
    llvm::Expected<std::unique_ptr<LoadedModel>> model = (*lib)->load(threads);
    ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
    EXPECT_NE((*model)->getDevice().find(std::to_string(threads) + " thread"),
              std::string::npos)
        << (*model)->getDevice();
    llvm::Expected<std::vector<HostTensor>> out = (*model)->run(*inputs);
    ASSERT_TRUE(bool(out)) << llvm::toString(out.takeError());
    results.push_back(std::move(*out));
  }
  for (size_t i = 0; i < results[0].size(); ++i)
    EXPECT_EQ(results[0][i].bytes, results[1][i].bytes) << "output " << i;
}

TEST(CpuThreads, NegativeThreadCountIsRefused) {
  std::unique_ptr<mlir::MLIRContext> context = createContext();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      parseModule(*context, kGatherModule);
  ASSERT_TRUE(module);
  llvm::Expected<std::unique_ptr<TempLibrary>> lib =
      TempLibrary::compile(*module);
  ASSERT_TRUE(bool(lib)) << llvm::toString(lib.takeError());
  llvm::Expected<std::unique_ptr<LoadedModel>> model = (*lib)->load(-1);
  ASSERT_FALSE(bool(model));
  EXPECT_NE(llvm::toString(model.takeError()).find("num_threads"),
            std::string::npos);
}

TEST(CpuTarget, UnknownCpuIsAClearError) {
  std::unique_ptr<mlir::MLIRContext> context = createContext();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      parseModule(*context, kGatherModule);
  ASSERT_TRUE(module);
  llvm::Expected<std::unique_ptr<TempLibrary>> lib =
      TempLibrary::compile(*module, "cpu", "pentium-9000");
  ASSERT_FALSE(bool(lib));
  EXPECT_NE(llvm::toString(lib.takeError()).find("unknown CPU 'pentium-9000'"),
            std::string::npos);
}

/// Every examples/*.json model, verified as `attnc verify --target=cpu` does.
class Example : public ::testing::TestWithParam<std::string> {};

TEST_P(Example, VerifiesOnCpu) {
  std::unique_ptr<mlir::MLIRContext> context = createContext();
  mlir::OwningOpRef<mlir::ModuleOp> module = loadModel(GetParam(), *context);
  ASSERT_TRUE(module) << GetParam();
  VerifyOptions options;
  options.targets = {"cpu"};
  std::string report;
  llvm::raw_string_ostream os(report);
  EXPECT_TRUE(mlir::succeeded(verifyModel(*module, options, os))) << os.str();
}

INSTANTIATE_TEST_SUITE_P(Cpu, Example, ::testing::ValuesIn(exampleSpecs()),
                         [](const ::testing::TestParamInfo<std::string> &info) {
                           return llvm::sys::path::stem(info.param).str();
                         });

} // namespace
