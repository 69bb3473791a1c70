//===- NpyTest.cpp - .npy reader and writer -------------------------------===//
//
// Round trips of every dtype, byte-exact headers as numpy writes them,
// versions 2.0/3.0, and one test per malformed-file error, each checking the
// message names the problem. Every truncation and many byte flips of a valid
// file must give an error or a tensor, never a crash.
//
//===----------------------------------------------------------------------===//

#include "support/Npy.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

using namespace attnc;

namespace {

/// A fresh directory removed with its files at the end of the test.
class NpyTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("attnc-npy-test", dir));
  }
  void TearDown() override {
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
         it.increment(ec))
      llvm::sys::fs::remove(it->path());
    llvm::sys::fs::remove(dir);
  }
  std::string path(llvm::StringRef name) const {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }
  /// Writes raw bytes as a file and returns its path.
  std::string writeRaw(llvm::StringRef name, llvm::StringRef bytes) const {
    std::string p = path(name);
    std::error_code ec;
    llvm::raw_fd_ostream os(p, ec);
    EXPECT_FALSE(ec) << ec.message();
    os << bytes;
    return p;
  }
  /// Reads `bytes` as a .npy file and returns the error message, or "" when
  /// it parsed.
  std::string errorOf(llvm::StringRef bytes) const {
    std::string p = writeRaw("bad.npy", bytes);
    llvm::Expected<HostTensor> t = readNpy(p);
    if (t)
      return "";
    return llvm::toString(t.takeError());
  }

  llvm::SmallString<128> dir;
};

/// A .npy image with `header` (padded as numpy pads it) and `data`.
std::string npyImage(llvm::StringRef header, llvm::StringRef data,
                     unsigned major = 1) {
  size_t preamble = major == 1 ? 10 : 12;
  std::string h = header.str();
  size_t total = preamble + h.size() + 1;
  h.append((64 - total % 64) % 64, ' ');
  h += '\n';
  std::string image = "\x93NUMPY";
  image += static_cast<char>(major);
  image += '\0';
  uint32_t length = h.size();
  image += static_cast<char>(length & 0xff);
  image += static_cast<char>((length >> 8) & 0xff);
  if (major != 1) {
    image += static_cast<char>((length >> 16) & 0xff);
    image += static_cast<char>((length >> 24) & 0xff);
  }
  return image + h + data.str();
}

std::string floatBytes(std::initializer_list<float> values) {
  std::string s(values.size() * 4, '\0');
  std::memcpy(s.data(), values.begin(), s.size());
  return s;
}

HostTensor sample(DTypeKind dtype, llvm::ArrayRef<int64_t> shape) {
  HostTensor t(dtype, shape);
  for (int64_t i = 0; i < t.numElements(); ++i) {
    double v = dtype == DTypeKind::Bool ? (i % 3 == 0) : (i - 2.5) * 1.25;
    if (dtype == DTypeKind::I32 || dtype == DTypeKind::I64)
      v = (i - 3) * 100003;
    t.setFromDouble(i, v);
  }
  return t;
}

void expectSameTensor(const HostTensor &a, const HostTensor &b) {
  EXPECT_EQ(dtypeName(a.dtype), dtypeName(b.dtype));
  EXPECT_EQ(llvm::ArrayRef<int64_t>(a.shape), llvm::ArrayRef<int64_t>(b.shape));
  ASSERT_EQ(a.bytes.size(), b.bytes.size());
  for (size_t i = 0; i < a.bytes.size(); ++i)
    ASSERT_EQ(a.bytes[i], b.bytes[i]) << "byte " << i;
}

TEST_F(NpyTest, RoundTripEveryDtype) {
  for (DTypeKind dtype : {DTypeKind::F16, DTypeKind::F32, DTypeKind::F64,
                          DTypeKind::Bool, DTypeKind::I32, DTypeKind::I64}) {
    SCOPED_TRACE(dtypeName(dtype).str());
    HostTensor t = sample(dtype, {2, 3, 4});
    std::string p = path("t.npy");
    ASSERT_FALSE(llvm::errorToBool(writeNpy(p, t)));
    llvm::Expected<HostTensor> back = readNpy(p);
    ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
    expectSameTensor(t, *back);
    EXPECT_EQ(back->getAsDouble(5), t.getAsDouble(5));
  }
}

TEST_F(NpyTest, RoundTripScalarVectorAndEmpty) {
  const std::vector<std::vector<int64_t>> shapes = {{}, {5}, {0, 3}};
  for (const std::vector<int64_t> &shape : shapes) {
    HostTensor t = sample(DTypeKind::F64, shape);
    std::string p = path("s.npy");
    ASSERT_FALSE(llvm::errorToBool(writeNpy(p, t)));
    llvm::Expected<HostTensor> back = readNpy(p);
    ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
    expectSameTensor(t, *back);
  }
}

TEST_F(NpyTest, WritesTheHeaderNumpyWrites) {
  HostTensor t = sample(DTypeKind::F32, {2, 3});
  std::string p = path("h.npy");
  ASSERT_FALSE(llvm::errorToBool(writeNpy(p, t)));
  auto buffer = llvm::MemoryBuffer::getFile(p);
  ASSERT_TRUE(bool(buffer));
  llvm::StringRef bytes = (*buffer)->getBuffer();
  // What numpy.save writes for np.zeros((2, 3), np.float32).
  std::string expected = npyImage(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", "");
  ASSERT_EQ(expected.size(), 128u);
  EXPECT_EQ(bytes.take_front(128), expected);
  EXPECT_EQ(bytes.size(), 128u + 24u);

  HostTensor scalar = sample(DTypeKind::Bool, {});
  ASSERT_FALSE(llvm::errorToBool(writeNpy(p, scalar)));
  buffer = llvm::MemoryBuffer::getFile(p);
  ASSERT_TRUE(bool(buffer));
  EXPECT_TRUE((*buffer)->getBuffer().contains("'shape': (), }"));
  EXPECT_TRUE((*buffer)->getBuffer().contains("'descr': '|b1'"));
}

TEST_F(NpyTest, ReadsVersions2And3AndHeaderVariants) {
  std::string data = floatBytes({1.5f, -2.0f, 3.25f});
  for (unsigned major : {1u, 2u, 3u}) {
    SCOPED_TRACE(major);
    std::string image =
        npyImage("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
                 data, major);
    llvm::Expected<HostTensor> t = parseNpy(image, "v.npy");
    ASSERT_TRUE(bool(t)) << llvm::toString(t.takeError());
    EXPECT_EQ(t->getAsDouble(2), 3.25);
  }
  // Key order, double quotes, no trailing comma, Python 2 long suffix.
  llvm::Expected<HostTensor> t =
      parseNpy(npyImage("{\"shape\": (1L, 3L), \"fortran_order\": False, "
                        "\"descr\": \"<f4\"}",
                        data),
               "variant.npy");
  ASSERT_TRUE(bool(t)) << llvm::toString(t.takeError());
  EXPECT_EQ(llvm::ArrayRef<int64_t>(t->shape), llvm::ArrayRef<int64_t>({1, 3}));
}

TEST_F(NpyTest, BoolBytesAreNormalised) {
  llvm::Expected<HostTensor> t = parseNpy(
      npyImage("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }",
               llvm::StringRef("\x00\x07", 2)),
      "b.npy");
  ASSERT_TRUE(bool(t)) << llvm::toString(t.takeError());
  EXPECT_EQ(t->bytes[0], 0);
  EXPECT_EQ(t->bytes[1], 1);
}

TEST_F(NpyTest, MissingFile) {
  llvm::Expected<HostTensor> t = readNpy(path("absent.npy"));
  ASSERT_FALSE(bool(t));
  std::string message = llvm::toString(t.takeError());
  EXPECT_NE(message.find("absent.npy"), std::string::npos) << message;
  EXPECT_NE(message.find("cannot open"), std::string::npos) << message;
}

/// Each malformed file and a fragment its message must contain.
struct BadCase {
  const char *what;
  std::string bytes;
  std::vector<std::string> fragments;
};

TEST_F(NpyTest, MalformedFilesNameTheProblem) {
  const std::string f4x3 = floatBytes({1, 2, 3});
  const std::string good =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
  std::string truncatedHeader = npyImage(good, "").substr(0, 40);
  std::vector<BadCase> cases = {
      {"bad magic", "PK\x03\x04 not numpy at all", {"bad magic"}},
      {"empty file", "", {"bad magic"}},
      {"version",
       npyImage(good, f4x3).replace(6, 1, "\x04"),
       {"unsupported .npy format version 4.0"}},
      {"truncated preamble",
       std::string("\x93NUMPY\x01\x00\x76", 9),
       {"truncated header"}},
      {"truncated header",
       truncatedHeader,
       {"truncated header", "118 bytes", "30 follow"}},
      {"not a dict",
       npyImage("[('descr', '<f4')]", ""),
       {"header is not a Python dict"}},
      {"big-endian",
       npyImage("{'descr': '>f4', 'fortran_order': False, "
                "'shape': (3,), }",
                f4x3),
       {"unsupported dtype '>f4'", "supported: <f2 <f4 <f8 |b1 <i4 <i8"}},
      {"complex",
       npyImage("{'descr': '<c8', 'fortran_order': False, "
                "'shape': (3,), }",
                f4x3 + f4x3),
       {"unsupported dtype '<c8'", "supported:"}},
      {"structured",
       npyImage("{'descr': [('a', '<f4')], 'fortran_order': "
                "False, 'shape': (3,), }",
                f4x3),
       {"'descr' must be a dtype string"}},
      {"fortran",
       npyImage("{'descr': '<f4', 'fortran_order': True, "
                "'shape': (3,), }",
                f4x3),
       {"fortran_order is True"}},
      {"short data",
       npyImage(good, f4x3.substr(0, 10)),
       {"data size does not match the shape", "needs 12 bytes",
        "the file has 10"}},
      {"trailing bytes", npyImage(good, f4x3 + "xyz"), {"3 trailing bytes"}},
      {"missing key",
       npyImage("{'descr': '<f4', 'shape': (3,), }", f4x3),
       {"missing key 'fortran_order'"}},
      {"unknown key",
       npyImage("{'descr': '<f4', 'fortran_order': False, "
                "'shape': (3,), 'extra': 1}",
                f4x3),
       {"unexpected key 'extra'"}},
      {"duplicate key",
       npyImage("{'descr': '<f4', 'descr': '<f4', "
                "'fortran_order': False, 'shape': (3,)}",
                f4x3),
       {"'descr' appears twice"}},
      {"negative dim",
       npyImage("{'descr': '<f4', 'fortran_order': False, "
                "'shape': (-3,), }",
                f4x3),
       {"negative dimension"}},
      {"not a tuple",
       npyImage("{'descr': '<f4', 'fortran_order': False, "
                "'shape': (3), }",
                f4x3),
       {"is not a tuple"}},
      {"huge shape",
       npyImage("{'descr': '<f8', 'fortran_order': False, "
                "'shape': (4294967296, 4294967296), }",
                f4x3),
       {"too large"}},
      {"dim overflow",
       npyImage("{'descr': '<f8', 'fortran_order': False, "
                "'shape': (99999999999999999999,), }",
                f4x3),
       {"does not fit in 64 bits"}},
      {"unterminated string",
       npyImage("{'descr': '<f4}", ""),
       {"unterminated string"}},
      {"junk after dict",
       npyImage(good + " x", f4x3),
       {"'x'", "after the dict"}},
  };
  for (const BadCase &c : cases) {
    SCOPED_TRACE(c.what);
    std::string message = errorOf(c.bytes);
    ASSERT_FALSE(message.empty()) << "accepted a malformed file";
    EXPECT_NE(message.find("bad.npy"), std::string::npos) << message;
    for (const std::string &fragment : c.fragments)
      EXPECT_NE(message.find(fragment), std::string::npos)
          << "message: " << message << "\nmissing: " << fragment;
  }
}

TEST_F(NpyTest, TruncationsAndByteFlipsNeverCrash) {
  HostTensor t = sample(DTypeKind::I64, {3, 2});
  std::string p = path("fuzz.npy");
  ASSERT_FALSE(llvm::errorToBool(writeNpy(p, t)));
  auto buffer = llvm::MemoryBuffer::getFile(p);
  ASSERT_TRUE(bool(buffer));
  std::string image = (*buffer)->getBuffer().str();
  for (size_t n = 0; n < image.size(); ++n) {
    llvm::Expected<HostTensor> r = parseNpy(image.substr(0, n), "cut.npy");
    EXPECT_FALSE(bool(r)) << "accepted a file cut to " << n << " bytes";
    llvm::consumeError(r.takeError());
  }
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 20000; ++trial) {
    std::string mutated = image;
    for (int k = 0; k < 3; ++k)
      mutated[rng() % mutated.size()] = static_cast<char>(rng());
    llvm::Expected<HostTensor> r = parseNpy(mutated, "flip.npy");
    if (r)
      EXPECT_EQ(r->bytes.size(), r->numElements() * dtypeSize(r->dtype));
    else
      llvm::consumeError(r.takeError());
  }
}

TEST_F(NpyTest, WriteIsAtomicAndReportsFailures) {
  HostTensor t = sample(DTypeKind::F32, {4});
  // A directory that does not exist: an error, and nothing written.
  std::string p = path("no-such-dir/out.npy");
  llvm::Error err = writeNpy(p, t);
  ASSERT_TRUE(bool(err));
  std::string message = llvm::toString(std::move(err));
  EXPECT_NE(message.find("out.npy"), std::string::npos) << message;
  EXPECT_FALSE(llvm::sys::fs::exists(p));

  // A tensor whose bytes do not match its shape is refused up front.
  HostTensor broken = t;
  broken.bytes.pop_back();
  std::string q = path("broken.npy");
  err = writeNpy(q, broken);
  ASSERT_TRUE(bool(err));
  message = llvm::toString(std::move(err));
  EXPECT_NE(message.find("needs 16"), std::string::npos) << message;
  EXPECT_FALSE(llvm::sys::fs::exists(q));

  // Overwriting keeps no temporary beside the file.
  ASSERT_FALSE(llvm::errorToBool(writeNpy(q, t)));
  ASSERT_FALSE(llvm::errorToBool(writeNpy(q, t)));
  std::error_code ec;
  int files = 0;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    ++files;
  EXPECT_EQ(files, 1);
}

} // namespace
