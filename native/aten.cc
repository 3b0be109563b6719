// The `aten` TF.js backend's native half: a store of ATen tensors keyed by integer ids, and one entry point
// that runs a named kernel on stored tensors. TF.js's NHWC data stays NHWC in memory; convolutions and pooling
// see it through a channels-last NCHW view, which ATen's oneDNN path consumes without a layout copy.
//
// JS calls: init, write, read, free, count, bytes, heap, blas, op, sgdInPlace, gemm. `op(name, inIds, ints, floats)` returns a flat array
// [nOut, (id, dtypeCode, rank, ...dims) per output]. Dtype codes: 0 float32, 1 int32, 2 bool.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/TensorIterator.h>
#include <torch/version.h>
#include <napi.h>
#ifdef __GLIBC__
#include <malloc.h>
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#endif

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define ROBUSTLAB_AVX2 1
#endif

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using Tensors = std::vector<at::Tensor>;
using Ints = std::vector<int64_t>;
using Floats = std::vector<double>;
using Kernel = std::function<Tensors(const Tensors&, const Ints&, const Floats&)>;

std::unordered_map<int64_t, at::Tensor> store;
int64_t nextId = 1;
at::Device device = at::kCPU;

int dtypeCode(const at::Tensor& t) {
  switch (t.scalar_type()) {
    case at::kFloat: return 0;
    case at::kInt: return 1;
    case at::kBool: return 2;
    default: throw std::runtime_error(std::string("aten: unexpected result dtype ") + c10::toString(t.scalar_type()));
  }
}

at::ScalarType scalarType(int64_t code) {
  switch (code) {
    case 0: return at::kFloat;
    case 1: return at::kInt;
    case 2: return at::kBool;
    default: throw std::runtime_error("aten: unknown dtype code " + std::to_string(code));
  }
}

// TF.js has no 64-bit types: ATen's index and integer-sum results come back as int32, doubles as float32.
at::Tensor normalise(at::Tensor t) {
  switch (t.scalar_type()) {
    case at::kLong: case at::kShort: case at::kChar: case at::kByte: return t.to(at::kInt);
    case at::kDouble: case at::kHalf: case at::kBFloat16: return t.to(at::kFloat);
    default: return t;
  }
}

at::Tensor nchw(const at::Tensor& nhwc) { return nhwc.contiguous().permute({0, 3, 1, 2}); }
at::Tensor nhwc(const at::Tensor& nchwT) { return nchwT.permute({0, 2, 3, 1}); }

// TF filters are [fh, fw, in, out]; ATen wants [out, in, fh, fw], here laid out channels-last like the data.
at::Tensor filterOIHW(const at::Tensor& f) { return f.permute({3, 2, 0, 1}).contiguous(at::MemoryFormat::ChannelsLast); }
// Depthwise filters [fh, fw, in, mult] become a grouped filter [in*mult, 1, fh, fw].
at::Tensor depthwiseOIHW(const at::Tensor& f) {
  return f.reshape({f.size(0), f.size(1), f.size(2) * f.size(3), 1}).permute({2, 3, 0, 1}).contiguous();
}

// Conv geometry from TF.js's computeConv2DInfo: ints = [sh, sw, dh, dw, top, bottom, left, right, ...].
struct Geom {
  int64_t sh, sw, dh, dw, top, bottom, left, right;
  bool symmetric() const { return top == bottom && left == right; }
};
Geom geom(const Ints& i) { return {i[0], i[1], i[2], i[3], i[4], i[5], i[6], i[7]}; }

at::Tensor activate(at::Tensor y, int64_t act, double alpha, const at::Tensor* prelu) {
  switch (act) {
    case 0: return y;                                   // linear
    case 1: return at::relu(y);                          // relu
    case 2: return at::clamp(y, 0, 6);                   // relu6
    case 3: return at::elu(y);                           // elu
    case 4: return at::sigmoid(y);                       // sigmoid
    case 5: return at::leaky_relu(y, alpha);             // leakyrelu
    case 6: return at::where(y < 0, y * (*prelu), y);    // prelu
    default: throw std::runtime_error("aten: unknown fused activation " + std::to_string(act));
  }
}

// x NHWC, w in ATen layout; explicit asymmetric padding is applied to the input because ATen pads symmetrically.
// bias (optional, [out]) goes into oneDNN's convolution, which adds it as the output is written: the same
// values as a separate add (one float32 sum each; checked bit for bit against PyTorch's separate add) without a
// second pass over the output.
at::Tensor convForward(const at::Tensor& x, const at::Tensor& w, const Geom& g, int64_t groups,
                       const c10::optional<at::Tensor>& bias = c10::nullopt) {
  at::Tensor xin = nchw(x);
  Ints pad{g.top, g.left};
  if (!g.symmetric()) {
    xin = at::constant_pad_nd(xin, {g.left, g.right, g.top, g.bottom}, 0).contiguous(at::MemoryFormat::ChannelsLast);
    pad = {0, 0};
  }
  return nhwc(at::convolution(xin, w, bias, {g.sh, g.sw}, pad, {g.dh, g.dw}, false, {0, 0}, groups));
}

// d(conv)/d(input) for an input of NHWC shape [n, h, wd, c].
at::Tensor convBackInput(const at::Tensor& dy, const at::Tensor& w, const Geom& g, int64_t groups, int64_t n, int64_t h,
                         int64_t wd, int64_t c) {
  const bool sym = g.symmetric();
  const int64_t ph = sym ? h : h + g.top + g.bottom, pw = sym ? wd : wd + g.left + g.right;
  at::Tensor shape = at::empty({n, c, ph, pw}, dy.options().memory_format(at::MemoryFormat::ChannelsLast));
  Ints pad = sym ? Ints{g.top, g.left} : Ints{0, 0};
  auto r = at::convolution_backward(nchw(dy), shape, w, c10::nullopt, {g.sh, g.sw}, pad, {g.dh, g.dw}, false, {0, 0},
                                    groups, {true, false, false});
  at::Tensor gx = std::get<0>(r);
  if (!sym) gx = gx.narrow(2, g.top, h).narrow(3, g.left, wd);
  return nhwc(gx);
}

#ifdef ROBUSTLAB_AVX2
// The input gradient of a stride-1 convolution with few input channels (an image's 1-3), which oneDNN runs at
// about 66 GFLOP/s here (a small CNN's first layer: 3.4 ms of a 22 ms PGD step): dx[b, y, x, c] = sum over taps
// (i, j) inside the image and outputs o of dy[b, y + top - i, x + left - j, o] w[i, j, c, o]. Four pixels of a
// row at a time: per tap and 8 outputs, the filter's ci vectors are loaded once and multiplied into the four
// pixels' accumulators (16 of AVX2's 16 registers at ci = 3); the lanes are summed in a fixed order at the end.
// Pixels whose taps leave the image's columns, and a row's last few, take the same sums one pixel at a time.
// dy NHWC [n, oh, ow, co] and w HWIO [fh, fw, ci, co] contiguous, co % 8 == 0.
#define ROBUSTLAB_TARGET_AVX2 __attribute__((target("avx2,fma")))
// The lane sums of v[0..n) (n <= 4, a multiple of 4 read: missing ones count as zero) into out[0..n), each in the
// same fixed order: pairs, then pairs of pairs, then the two halves.
ROBUSTLAB_TARGET_AVX2 inline void laneSums(const __m256* v, int n, float* out) {
  const __m256 z = _mm256_setzero_ps();
  const __m256 a = v[0], b = n > 1 ? v[1] : z, c = n > 2 ? v[2] : z, d = n > 3 ? v[3] : z;
  const __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
  if (n == 4) {
    _mm_storeu_ps(out, s);
    return;
  }
  alignas(16) float l[4];
  _mm_store_ps(l, s);
  for (int i = 0; i < n; i++) out[i] = l[i];
}

// What one row of the kernel needs: dy and w of one image, its geometry, the output row.
struct FewRow {
  const float* dy;
  const float* w;
  float* dx;
  int64_t oh, ow, co, fh, fw, top, left, y, wd;
};

// One pixel x of the row, every tap checked against the image.
template <int CI>
ROBUSTLAB_TARGET_AVX2 void backInputFewPixel(const FewRow& r, int64_t x) {
  __m256 acc[CI];
  for (int c = 0; c < CI; c++) acc[c] = _mm256_setzero_ps();
  for (int64_t i = 0; i < r.fh; i++) {
    const int64_t p = r.y + r.top - i;
    if (p < 0 || p >= r.oh) continue;
    for (int64_t j = 0; j < r.fw; j++) {
      const int64_t q = x + r.left - j;
      if (q < 0 || q >= r.ow) continue;
      const float* d = r.dy + (p * r.ow + q) * r.co;
      const float* wt = r.w + (i * r.fw + j) * CI * r.co;
      for (int64_t o = 0; o < r.co; o += 8) {
        const __m256 dv = _mm256_loadu_ps(d + o);
        for (int c = 0; c < CI; c++) acc[c] = _mm256_fmadd_ps(dv, _mm256_loadu_ps(wt + c * r.co + o), acc[c]);
      }
    }
  }
  laneSums(acc, CI, r.dx + x * CI);
}

// Pixels x .. x+3, all of whose taps' columns lie inside dy (rows are still checked).
template <int CI>
ROBUSTLAB_TARGET_AVX2 void backInputFewQuad(const FewRow& r, int64_t x) {
  __m256 acc[4][CI];
  for (int k = 0; k < 4; k++)
    for (int c = 0; c < CI; c++) acc[k][c] = _mm256_setzero_ps();
  for (int64_t i = 0; i < r.fh; i++) {
    const int64_t p = r.y + r.top - i;
    if (p < 0 || p >= r.oh) continue;
    for (int64_t j = 0; j < r.fw; j++) {
      const float* d = r.dy + (p * r.ow + x + r.left - j) * r.co;
      const float* wt = r.w + (i * r.fw + j) * CI * r.co;
      for (int64_t o = 0; o < r.co; o += 8) {
        __m256 wv[CI];
        for (int c = 0; c < CI; c++) wv[c] = _mm256_loadu_ps(wt + c * r.co + o);
        for (int k = 0; k < 4; k++) {
          const __m256 dv = _mm256_loadu_ps(d + k * r.co + o);
          for (int c = 0; c < CI; c++) acc[k][c] = _mm256_fmadd_ps(dv, wv[c], acc[k][c]);
        }
      }
    }
  }
  // The four pixels' outputs are 4 * CI consecutive floats, in the order of acc.
  const __m256* flat = &acc[0][0];
  for (int g = 0; g < CI; g++) laneSums(flat + 4 * g, 4, r.dx + x * CI + 4 * g);
}

template <int CI>
void backInputFewRow(const FewRow& r) {
  // Pixel x's taps read dy columns x + left - (fw - 1) .. x + left.
  const auto inside = [&](int64_t x) { return x + r.left - (r.fw - 1) >= 0 && x + r.left < r.ow; };
  int64_t x = 0;
  while (x < r.wd) {
    if (x + 4 <= r.wd && inside(x) && inside(x + 3)) {
      backInputFewQuad<CI>(r, x);
      x += 4;
    } else {
      backInputFewPixel<CI>(r, x++);
    }
  }
}

template <int CI>
void backInputFew(const at::Tensor& dy, const at::Tensor& w, const at::Tensor& dx, const Geom& g) {
  const int64_t n = dy.size(0), oh = dy.size(1), ow = dy.size(2), co = dy.size(3);
  const int64_t fh = w.size(0), fw = w.size(1), h = dx.size(1), wd = dx.size(2);
  const float *pdy = dy.data_ptr<float>(), *pw = w.data_ptr<float>();
  float* pdx = dx.data_ptr<float>();
  // parallelRange, not at::parallel_for: this file is built without OpenMP, so ATen's inline parallel_for
  // would run serially here.
  parallelRange(n * h, 8, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; r++) {
      const int64_t b = r / h, y = r % h;
      backInputFewRow<CI>({pdy + b * oh * ow * co, pw, pdx + r * wd * CI, oh, ow, co, fh, fw, g.top, g.left, y, wd});
    }
  });
}
#endif

// backInputFew where it applies and pays (an AVX2 + FMA processor, float32 on the CPU, an image's 1-3 input
// channels, outputs a multiple of 8, stride and dilation 1); undefined elsewhere, and then oneDNN runs. Inner
// layers (4 channels and more) stay on oneDNN, as do the pinned attack fixtures' (test/attacks/pinned.test.ts).
at::Tensor convBackInputFew(const at::Tensor& dy0, const at::Tensor& f0, const Geom& g, int64_t n, int64_t h, int64_t wd,
                            int64_t c) {
#ifdef ROBUSTLAB_AVX2
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (!avx2 || c < 1 || c > 3 || dy0.size(3) % 8 != 0 || g.sh != 1 || g.sw != 1 || g.dh != 1 || g.dw != 1 ||
      dy0.scalar_type() != at::kFloat || f0.scalar_type() != at::kFloat || !dy0.device().is_cpu() || f0.size(2) != c)
    return at::Tensor();
  const at::Tensor dy = dy0.contiguous(), f = f0.contiguous();
  at::Tensor dx = at::empty({n, h, wd, c}, dy.options());
  switch (c) {
    case 1: backInputFew<1>(dy, f, dx, g); break;
    case 2: backInputFew<2>(dy, f, dx, g); break;
    default: backInputFew<3>(dy, f, dx, g); break;
  }
  return dx;
#else
  return at::Tensor();
#endif
}

// d(conv)/d(filter) in ATen layout [out, in/groups, fh, fw].
at::Tensor convBackFilter(const at::Tensor& x, const at::Tensor& dy, const Geom& g, int64_t groups, int64_t o, int64_t i,
                          int64_t fh, int64_t fw) {
  at::Tensor xin = nchw(x);
  Ints pad{g.top, g.left};
  if (!g.symmetric()) {
    xin = at::constant_pad_nd(xin, {g.left, g.right, g.top, g.bottom}, 0).contiguous(at::MemoryFormat::ChannelsLast);
    pad = {0, 0};
  }
  at::Tensor shape = at::empty({o, i, fh, fw}, x.options().memory_format(at::MemoryFormat::ChannelsLast));
  auto r = at::convolution_backward(nchw(dy), xin, shape, c10::nullopt, {g.sh, g.sw}, pad, {g.dh, g.dw}, false, {0, 0},
                                    groups, {false, true, false});
  return std::get<1>(r);
}

// Pooling: ints = [fh, fw, sh, sw, top, bottom, left, right]. Max pooling pads with -inf when TF's padding is
// asymmetric or wider than ATen allows (half the window).
struct Pool {
  int64_t fh, fw, sh, sw, top, bottom, left, right;
  bool native() const { return top == bottom && left == right && 2 * top <= fh && 2 * left <= fw; }
};
Pool pool(const Ints& i) { return {i[0], i[1], i[2], i[3], i[4], i[5], i[6], i[7]}; }

at::Tensor maxPoolInput(const at::Tensor& x, const Pool& p) {
  at::Tensor xin = nchw(x);
  if (!p.native())
    xin = at::constant_pad_nd(xin, {p.left, p.right, p.top, p.bottom}, -std::numeric_limits<double>::infinity())
              .contiguous(at::MemoryFormat::ChannelsLast);
  return xin;
}
Ints poolPad(const Pool& p) { return p.native() ? Ints{p.top, p.left} : Ints{0, 0}; }

// Real (unpadded) inputs in each pooling window, shape [1, 1, oh, ow], for x NHWC.
at::Tensor avgCounts(const at::Tensor& x, const Pool& p) {
  at::Tensor ones = at::ones({1, 1, x.size(1), x.size(2)}, x.options());
  ones = at::constant_pad_nd(ones, {p.left, p.right, p.top, p.bottom}, 0);
  return at::avg_pool2d(ones, {p.fh, p.fw}, {p.sh, p.sw}, {0, 0}, false, true, 1);
}

at::Tensor reduceAxes(const at::Tensor& x, const Ints& axes, bool keep, int kind) {
  // kind: 0 sum, 1 mean, 2 max, 3 min, 4 prod, 5 any, 6 all
  if (axes.empty()) return x;
  at::IntArrayRef dims(axes);
  switch (kind) {
    case 0: return x.scalar_type() == at::kBool ? at::sum(x.to(at::kInt), dims, keep) : at::sum(x, dims, keep);
    case 1: return at::mean(x, dims, keep);
    case 2: return x.scalar_type() == at::kBool ? at::amax(x.to(at::kInt), dims, keep).to(at::kBool) : at::amax(x, dims, keep);
    case 3: return x.scalar_type() == at::kBool ? at::amin(x.to(at::kInt), dims, keep).to(at::kBool) : at::amin(x, dims, keep);
    case 4: case 5: case 6: {
      Ints sorted(axes);
      std::sort(sorted.rbegin(), sorted.rend());
      at::Tensor r = kind == 4 ? x : x.to(at::kBool);
      for (int64_t d : sorted) r = kind == 4 ? at::prod(r, d, keep) : kind == 5 ? at::any(r, d, keep) : at::all(r, d, keep);
      return r;
    }
  }
  throw std::runtime_error("aten: bad reduction");
}

// Runs f(begin, end) over [0, n) on ATen's intra-op threads. at::parallel_for is a header template that stays
// serial unless this file is compiled with OpenMP, and -fopenmp here would bring a second OpenMP runtime next to
// the one pip's torch bundles; TensorIterator::for_each is compiled inside libtorch and splits its range over
// libtorch's own threads. A byte tensor stands for the range, one byte (never read) per block of items.
template <typename F>
void parallelRange(int64_t n, int64_t grain, const F& f) {
  if (n <= 0) return;
  if (n <= grain || at::get_num_threads() == 1) {
    f(int64_t{0}, n);
    return;
  }
  const int64_t block = std::max<int64_t>(1, grain / 64);
  at::Tensor range = at::empty({(n + block - 1) / block}, at::TensorOptions().dtype(at::kByte));
  const char* base = static_cast<const char*>(range.data_ptr());
  at::TensorIterator iter = at::TensorIteratorConfig()
                                .add_output(range)
                                .check_all_same_dtype(false)
                                .resize_outputs(false)
                                .set_check_mem_overlap(false)
                                .build();
  iter.for_each(
      [&](char** data, const int64_t*, int64_t size) {
        const int64_t b = data[0] - base;
        f(b * block, std::min(n, (b + size) * block));
      },
      std::max<int64_t>(1, grain / block));
}

// TF's step: 1 where x > 0, alpha elsewhere, NaN stays NaN. Branch-free so that it vectorises (signs of
// activations are random: a branch mispredicts half the time), and parallel.
inline float stepOf(float v, float a) {
  const float s = v > 0 ? 1.f : a;
  return v != v ? v : s;
}

constexpr int64_t kGrain = 1 << 15;

at::Tensor stepKernel(const at::Tensor& x0, double alpha) {
  if (x0.scalar_type() != at::kFloat || !x0.device().is_cpu()) {
    at::Tensor one = at::scalar_tensor(1, x0.options()), a = at::scalar_tensor(alpha, x0.options());
    return at::where(at::isnan(x0), x0, at::where(x0 > 0, one, a));
  }
  at::Tensor x = x0.contiguous();
  at::Tensor out = at::empty_like(x, at::MemoryFormat::Contiguous);
  const float* __restrict px = x.data_ptr<float>();
  float* __restrict po = out.data_ptr<float>();
  const float a = static_cast<float>(alpha);
  parallelRange(x.numel(), kGrain, [=](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) po[i] = stepOf(px[i], a);
  });
  return out;
}

// ReLU's gradient, TF's dy * step(x) in one pass (NaN in x or dy, and dy * 0 for infinite dy, as TF.js gives).
at::Tensor reluGradKernel(const at::Tensor& dy0, const at::Tensor& x0) {
  if (x0.scalar_type() != at::kFloat || dy0.scalar_type() != at::kFloat || !x0.device().is_cpu() ||
      dy0.sizes() != x0.sizes())
    return dy0 * stepKernel(x0, 0.0);
  at::Tensor x = x0.contiguous(), dy = dy0.contiguous();
  at::Tensor out = at::empty_like(x, at::MemoryFormat::Contiguous);
  const float* __restrict px = x.data_ptr<float>();
  const float* __restrict pg = dy.data_ptr<float>();
  float* __restrict po = out.data_ptr<float>();
  parallelRange(x.numel(), kGrain, [=](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) po[i] = pg[i] * stepOf(px[i], 0.f);
  });
  return out;
}

// Four floats as one SIMD value (GCC/Clang vector extensions: SSE on x86-64, NEON on arm64), for kernels whose
// data-dependent selects the compiler would otherwise turn into branches.
typedef float V4f __attribute__((vector_size(16)));
typedef int32_t V4i __attribute__((vector_size(16)));
inline V4f load4(const float* p) {
  V4f v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store4(float* p, V4f v) { std::memcpy(p, &v, sizeof v); }
inline V4f keep(V4i mask, V4f v) { return reinterpret_cast<V4f>(mask & reinterpret_cast<V4i>(v)); }

constexpr float kInf = std::numeric_limits<float>::infinity();

#ifdef ROBUSTLAB_AVX2
// The 2x2 pooling loops below, 8 channels at a time with AVX2 (same comparisons, same NaN rules; c % 8 == 0):
// both are bound by memory, and the 4-wide loops moved a small CNN's first-layer activations at 15-21 GB/s.
// One output row r (image * oh + output row) of maxPoolGrad2x2.
__attribute__((target("avx2"))) void maxPoolGrad2x2RowAvx2(const float* x0, const float* x1, float* d0, float* d1, const float* g,
                                                          int64_t ow, int64_t c) {
  const __m256 ninf = _mm256_set1_ps(-kInf);
  for (int64_t ox = 0; ox < ow; ox++) {
    const float *a = x0 + 2 * ox * c, *b = a + c, *e = x1 + 2 * ox * c, *f = e + c;
    float *da = d0 + 2 * ox * c, *db = da + c, *de = d1 + 2 * ox * c, *df = de + c;
    const float* gg = g + ox * c;
    for (int64_t ch = 0; ch < c; ch += 8) {
      const __m256 va = _mm256_loadu_ps(a + ch), vb = _mm256_loadu_ps(b + ch), ve = _mm256_loadu_ps(e + ch),
                   vf = _mm256_loadu_ps(f + ch), gv = _mm256_loadu_ps(gg + ch);
      const __m256 ta = _mm256_cmp_ps(va, ninf, _CMP_GT_OQ);
      const __m256 m0 = _mm256_blendv_ps(ninf, va, ta);
      const __m256 tb = _mm256_cmp_ps(vb, m0, _CMP_GT_OQ);
      const __m256 m1 = _mm256_blendv_ps(m0, vb, tb);
      const __m256 te = _mm256_cmp_ps(ve, m1, _CMP_GT_OQ);
      const __m256 m2 = _mm256_blendv_ps(m1, ve, te);
      const __m256 tf = _mm256_cmp_ps(vf, m2, _CMP_GT_OQ);
      _mm256_storeu_ps(da + ch, _mm256_and_ps(_mm256_andnot_ps(_mm256_or_ps(tb, _mm256_or_ps(te, tf)), ta), gv));
      _mm256_storeu_ps(db + ch, _mm256_and_ps(_mm256_andnot_ps(_mm256_or_ps(te, tf), tb), gv));
      _mm256_storeu_ps(de + ch, _mm256_and_ps(_mm256_andnot_ps(tf, te), gv));
      _mm256_storeu_ps(df + ch, _mm256_and_ps(tf, gv));
    }
  }
}

// One output row of maxPool2x2Nhwc.
__attribute__((target("avx2"))) void maxPool2x2RowAvx2(const float* x0r, const float* x1r, float* yr, int64_t ow, int64_t c) {
  const auto pick = [](__m256 v, __m256 m) __attribute__((target("avx2"))) {
    const __m256 take = _mm256_or_ps(_mm256_cmp_ps(v, m, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    return _mm256_blendv_ps(m, v, take);
  };
  for (int64_t ox = 0; ox < ow; ox++) {
    const float *a = x0r + 2 * ox * c, *bb = a + c, *e = x1r + 2 * ox * c, *f = e + c;
    float* out = yr + ox * c;
    for (int64_t ch = 0; ch < c; ch += 8)
      _mm256_storeu_ps(out + ch, pick(_mm256_loadu_ps(f + ch), pick(_mm256_loadu_ps(e + ch), pick(_mm256_loadu_ps(bb + ch), _mm256_loadu_ps(a + ch)))));
  }
}

bool poolAvx2(int64_t c) {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  return avx2 && c % 8 == 0;
}
#endif

// MaxPoolGrad for 2x2 windows that tile an NHWC input (stride 2, no padding, even sizes), one pair of input rows
// at a time. TF's rule: the window's gradient goes to the first input greater than all before it, starting from
// -inf, so NaN never wins and a window of only NaN and -inf passes no gradient. Every input is written once.
void maxPoolGrad2x2(const float* px, const float* pdy, float* pdx, int64_t rows, int64_t ow, int64_t c) {
  const int64_t w = 2 * ow;
  parallelRange(rows, 1, [=](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {  // r = image * oh + output row
      const float* x0 = px + 2 * r * w * c;
      const float* x1 = x0 + w * c;
      float* d0 = pdx + 2 * r * w * c;
      float* d1 = d0 + w * c;
      const float* g = pdy + r * ow * c;
#ifdef ROBUSTLAB_AVX2
      if (poolAvx2(c)) {
        maxPoolGrad2x2RowAvx2(x0, x1, d0, d1, g, ow, c);
        continue;
      }
#endif
      for (int64_t ox = 0; ox < ow; ox++) {
        // The window is a b / e f, in TF's order.
        const float *a = x0 + 2 * ox * c, *b = a + c, *e = x1 + 2 * ox * c, *f = e + c;
        float *da = d0 + 2 * ox * c, *db = da + c, *de = d1 + 2 * ox * c, *df = de + c;
        const float* gg = g + ox * c;
        const V4f ninf = {-kInf, -kInf, -kInf, -kInf};
        int64_t ch = 0;
        for (; ch + 4 <= c; ch += 4) {
          const V4f va = load4(a + ch), vb = load4(b + ch), ve = load4(e + ch), vf = load4(f + ch), gv = load4(gg + ch);
          const V4i ta = va > ninf;
          const V4f m0 = reinterpret_cast<V4f>((ta & reinterpret_cast<V4i>(va)) | (~ta & reinterpret_cast<V4i>(ninf)));
          const V4i tb = vb > m0;
          const V4f m1 = reinterpret_cast<V4f>((tb & reinterpret_cast<V4i>(vb)) | (~tb & reinterpret_cast<V4i>(m0)));
          const V4i te = ve > m1;
          const V4f m2 = reinterpret_cast<V4f>((te & reinterpret_cast<V4i>(ve)) | (~te & reinterpret_cast<V4i>(m1)));
          const V4i tf = vf > m2;
          store4(da + ch, keep(ta & ~(tb | te | tf), gv));
          store4(db + ch, keep(tb & ~te & ~tf, gv));
          store4(de + ch, keep(te & ~tf, gv));
          store4(df + ch, keep(tf, gv));
        }
        for (; ch < c; ch++) {
          const float va = a[ch], vb = b[ch], ve = e[ch], vf = f[ch], gv = gg[ch];
          const bool ta = va > -kInf;
          const float m0 = ta ? va : -kInf;
          const bool tb = vb > m0;
          const float m1 = tb ? vb : m0;
          const bool te = ve > m1;
          const float m2 = te ? ve : m1;
          const bool tf = vf > m2;
          da[ch] = ta && !tb && !te && !tf ? gv : 0.f;
          db[ch] = tb && !te && !tf ? gv : 0.f;
          de[ch] = te && !tf ? gv : 0.f;
          df[ch] = tf ? gv : 0.f;
        }
      }
    }
  });
}

// The window's running maximum as ATen's max_pool2d keeps it: a later value replaces it when greater or NaN.
inline float poolPick(float v, float m) { return (v > m || v != v) ? v : m; }

// 2x2 stride-2 max pooling without padding on contiguous NHWC float32 (odd sizes drop the last row or
// column, as 'valid' does): four loads and three selects per value, over channels. ATen's channels-last
// max_pool2d took 1.34 ms on a small CNN's [128, 32, 32, 32] activations, this 1.2 ms 4 channels at a time and
// 0.80 ms 8 at a time (AVX2); the values are equal (same order of comparisons, NaN propagated).
at::Tensor maxPool2x2Nhwc(const at::Tensor& x0) {
  const at::Tensor x = x0.contiguous();
  const int64_t n = x.size(0), h = x.size(1), w = x.size(2), c = x.size(3), oh = h / 2, ow = w / 2;
  at::Tensor y = at::empty({n, oh, ow, c}, x.options());
  const float* px = x.data_ptr<float>();
  float* py = y.data_ptr<float>();
  parallelRange(n * oh, 1, [=](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const int64_t b = r / oh, oy = r % oh;
      const float* x0r = px + (b * h + 2 * oy) * w * c;
      const float* x1r = x0r + w * c;
      float* yr = py + r * ow * c;
#ifdef ROBUSTLAB_AVX2
      if (poolAvx2(c)) {
        maxPool2x2RowAvx2(x0r, x1r, yr, ow, c);
        continue;
      }
#endif
      for (int64_t ox = 0; ox < ow; ox++) {
        const float *a = x0r + 2 * ox * c, *bb = a + c, *e = x1r + 2 * ox * c, *f = e + c;
        float* out = yr + ox * c;
        int64_t ch = 0;
        for (; ch + 4 <= c; ch += 4) {
          // poolPick on four channels: masks, not branches.
          const auto pick = [](V4f v, V4f m) {
            const V4i take = (v > m) | (v != v);
            return reinterpret_cast<V4f>((take & reinterpret_cast<V4i>(v)) | (~take & reinterpret_cast<V4i>(m)));
          };
          store4(out + ch, pick(load4(f + ch), pick(load4(e + ch), pick(load4(bb + ch), load4(a + ch)))));
        }
        for (; ch < c; ch++) out[ch] = poolPick(f[ch], poolPick(e[ch], poolPick(bb[ch], a[ch])));
      }
    }
  });
  return y;
}

// MaxPoolGrad on NHWC float data in one pass: each window's gradient goes to its first maximum (TF's rule),
// where ATen would recompute the pooling with indices and then scatter in a second kernel.
at::Tensor maxPoolGradNhwc(const at::Tensor& dy0, const at::Tensor& x0, const Pool& pool) {
  at::Tensor x = x0.contiguous(), dy = dy0.contiguous();
  const int64_t n = x.size(0), h = x.size(1), w = x.size(2), c = x.size(3), oh = dy.size(1), ow = dy.size(2);
  const int64_t fh = pool.fh, fw = pool.fw, sh = pool.sh, sw = pool.sw, top = pool.top, left = pool.left;
  // Non-overlapping windows that tile the input (pooling 2x2 stride 2 on even sizes, the common case) write
  // every input position once, so dx needs no zero-filling pass first.
  const bool tiles = fh == sh && fw == sw && top == 0 && left == 0 && oh * sh == h && ow * sw == w;
  at::Tensor dx = tiles ? at::empty_like(x, at::MemoryFormat::Contiguous) : at::zeros_like(x, at::MemoryFormat::Contiguous);
  const float* px = x.data_ptr<float>();
  const float* pdy = dy.data_ptr<float>();
  float* pdx = dx.data_ptr<float>();
  if (tiles && fh == 2 && fw == 2) {
    maxPoolGrad2x2(px, pdy, pdx, n * oh, ow, c);
    return dx;
  }
  parallelRange(n, 1, [=](int64_t b0, int64_t b1) {
    // Offsets within one image fit in 32 bits; keeping best and arg the same width lets the selects vectorise.
    std::vector<float> best(c);
    std::vector<int32_t> arg(c);
    float* bp = best.data();
    int32_t* ap = arg.data();
    for (int64_t b = b0; b < b1; b++) {
      const float* img = px + b * h * w * c;
      float* dimg = pdx + b * h * w * c;
      for (int64_t oy = 0; oy < oh; oy++) {
        for (int64_t ox = 0; ox < ow; ox++) {
          // TF's rule: the first input greater than all before it, starting from -inf (no winner: -1).
          std::fill(bp, bp + c, -kInf);
          std::fill(ap, ap + c, -1);
          for (int64_t ky = 0; ky < fh; ky++) {
            const int64_t iy = oy * sh - top + ky;
            if (iy < 0 || iy >= h) continue;
            for (int64_t kx = 0; kx < fw; kx++) {
              const int64_t ix = ox * sw - left + kx;
              if (ix < 0 || ix >= w) continue;
              const int32_t base = static_cast<int32_t>((iy * w + ix) * c);
              const float* row = img + base;
              // Selects, not branches: which input wins is data-dependent and mispredicts half the time.
              for (int64_t ch = 0; ch < c; ch++) {
                const bool take = row[ch] > bp[ch];
                bp[ch] = take ? row[ch] : bp[ch];
                ap[ch] = take ? base + static_cast<int32_t>(ch) : ap[ch];
              }
            }
          }
          const float* g = pdy + ((b * oh + oy) * ow + ox) * c;
          if (tiles) {
            for (int64_t ky = 0; ky < fh; ky++) {
              for (int64_t kx = 0; kx < fw; kx++) {
                const int32_t base = static_cast<int32_t>(((oy * sh + ky) * w + ox * sw + kx) * c);
                float* out = dimg + base;
                for (int64_t ch = 0; ch < c; ch++) out[ch] = ap[ch] == base + static_cast<int32_t>(ch) ? g[ch] : 0.f;
              }
            }
          } else {
            for (int64_t ch = 0; ch < c; ch++)
              if (ap[ch] >= 0) dimg[ap[ch]] += g[ch];
          }
        }
      }
    }
  });
  return dx;
}


// Float32 matrix products. Debian's libtorch runs them on the system BLAS, which machines here pin to
// OpenBLAS's Haswell kernels (OPENBLAS_CORETYPE, for correctness on some processors): about 245 GFLOP/s on 2
// threads. libtorch's own oneDNN (libdnnl, which runs its convolutions) has an sgemm with kernels for the
// processor it finds, independent of that setting: 430-490 GFLOP/s here. `gemm` picks it where its `dnnl_sgemm`
// resolves (ROBUSTLAB_ATEN_GEMM=blas keeps the BLAS: the bench's like-for-like rows, the BLAS check).
enum class Gemm { Blas, Onednn };
Gemm gemm = Gemm::Blas;
using DnnlSgemm = int (*)(char, char, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t, float,
                          float*, int64_t);
DnnlSgemm dnnlSgemm = nullptr;

// Switches the product path to `want` ("onednn" or "blas"); `what` names the setting in the error.
void setGemm(const std::string& want, const std::string& what) {
  if (want == "blas") gemm = Gemm::Blas;
  else if (want == "onednn" && dnnlSgemm) gemm = Gemm::Onednn;
  else if (want == "onednn") throw std::runtime_error("aten: gemm 'onednn' unavailable: this libtorch's oneDNN exports no dnnl_sgemm");
  else throw std::runtime_error(what + " must be onednn or blas, got '" + want + "'");
}

DnnlSgemm findDnnlSgemm() {
#ifdef __GLIBC__
  if (void* f = dlsym(RTLD_DEFAULT, "dnnl_sgemm")) return reinterpret_cast<DnnlSgemm>(f);
  if (void* h = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_LOCAL)) return reinterpret_cast<DnnlSgemm>(dlsym(h, "dnnl_sgemm"));
#endif
  return nullptr;
}

// One row-major operand of dnnl_sgemm: the matrix m (rows x cols as the product uses it, after TF's transpose
// flag) as stored data, its transpose flag and leading dimension; undefined where m's strides fit neither.
struct GemmOperand {
  const float* data = nullptr;
  char trans = 'N';
  int64_t ld = 0;
};
bool gemmOperand(const at::Tensor& m, GemmOperand& o) {
  if (m.stride(1) == 1 && m.stride(0) >= std::max<int64_t>(1, m.size(1))) {
    o = {m.data_ptr<float>(), 'N', m.stride(0)};
    return true;
  }
  if (m.stride(0) == 1 && m.stride(1) >= std::max<int64_t>(1, m.size(0))) {
    o = {m.data_ptr<float>(), 'T', m.stride(1)};
    return true;
  }
  return false;
}

// dnnl_sgemm (libdnnl 2.6, Debian's) corrupts the C heap when a signal is delivered to a thread inside it:
// a Python loop of 512^3 products under a 0.3 ms SIGPROF timer aborted with "corrupted size vs. prev_size"
// within seconds, as did `node --cpu-prof` over aten's products; oneDNN's convolutions and OpenBLAS did not.
// So asynchronous signals are held back while it runs: blocked for good in the intra-op worker threads (at
// init, see blockWorkerSignals) and, around each call, on the calling thread; they are delivered when the
// product is done.
#ifdef __GLIBC__
sigset_t asyncSignals() {
  sigset_t set;
  sigfillset(&set);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS}) sigdelset(&set, sig);
  return set;
}
int workersBlocked = 0;  // the intra-op thread count blockWorkerSignals last ran for

// Runs one piece of work per intra-op thread; each thread but the caller blocks asynchronous signals for good
// (the pool's threads do nothing else with them: Node's signals belong to the main thread).
void blockWorkerSignals() {
  const int n = at::get_num_threads();
  if (n == workersBlocked) return;
  workersBlocked = n;
  const pthread_t self = pthread_self();
  parallelRange(n, 1, [self](int64_t, int64_t) {
    if (pthread_equal(pthread_self(), self)) return;
    const sigset_t set = asyncSignals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
  });
}

// Blocks asynchronous signals on this thread for its lifetime, restoring the previous mask after.
struct HeldSignals {
  sigset_t previous;
  HeldSignals() {
    const sigset_t set = asyncSignals();
    pthread_sigmask(SIG_BLOCK, &set, &previous);
  }
  ~HeldSignals() { pthread_sigmask(SIG_SETMASK, &previous, nullptr); }
};
#endif

// a @ b for 2-D float32 CPU operands (either possibly a transposed view) by oneDNN's sgemm; undefined where it
// does not apply or does not pay (then at::matmul runs). Batched products with a batch of one are squeezed to 2-D.
at::Tensor onednnMatmul(const at::Tensor& a0, const at::Tensor& b0) {
  if (gemm != Gemm::Onednn || !dnnlSgemm || a0.scalar_type() != at::kFloat || b0.scalar_type() != at::kFloat ||
      !a0.device().is_cpu() || !b0.device().is_cpu() || a0.dim() != b0.dim() || a0.dim() < 2 || a0.dim() > 3)
    return at::Tensor();
  if (a0.dim() == 3 && (a0.size(0) != 1 || b0.size(0) != 1)) return at::Tensor();
  at::Tensor a = a0.dim() == 3 ? a0.select(0, 0) : a0, b = b0.dim() == 3 ? b0.select(0, 0) : b0;
  const int64_t m = a.size(0), k = a.size(1), n = b.size(1);
  if (b.size(0) != k || m == 0 || n == 0 || k == 0) return at::Tensor();
  GemmOperand oa, ob;
  if (!gemmOperand(a, oa)) a = a.contiguous(), gemmOperand(a, oa);
  if (!gemmOperand(b, ob)) b = b.contiguous(), gemmOperand(b, ob);
  // With b transposed and few rows of a, oneDNN's sgemm ran at half its rate here (205 vs 420 GFLOP/s for
  // [128, 3072] x [1024, 3072]^T), below OpenBLAS's Haswell kernels (238): the BLAS keeps that case. From 512
  // rows on it ran at 345-476 GFLOP/s (the 1NN search's [2000, 3072] x [10000, 3072]^T: 476).
  if (ob.trans == 'T' && m < 512) return at::Tensor();
  at::Tensor c = at::empty({m, n}, a.options());
  int status;
  {
#ifdef __GLIBC__
    blockWorkerSignals();
    HeldSignals held;
#endif
    status = dnnlSgemm(oa.trans, ob.trans, m, n, k, 1.f, oa.data, oa.ld, ob.data, ob.ld, 0.f, c.data_ptr<float>(), n);
  }
  if (status != 0) return at::Tensor();
  return a0.dim() == 3 ? c.unsqueeze(0) : c;
}

// The SGD update of lib/engine/sgdStep.ts over contiguous float32 tensors: d = g + v wd; b' = b mom + d (b' = d
// without a buffer b); v' = v - b' lr (b' = d when there is no momentum, and no nb is written). Each product and
// sum is rounded to float32 on its own, in the composite's order (this file is built without FMA contraction),
// so the results equal the composite's bit for bit. nv and nb may be v and b themselves (the in-place update:
// each element is read before it is written). floats = [lr, momentum, wd].
void sgdPass(const at::Tensor& v, const at::Tensor& g, const at::Tensor& b, const at::Tensor& nv, const at::Tensor& nb, const Floats& f) {
  const bool hasBuffer = b.defined(), useMomentum = nb.defined();
  const float lr = static_cast<float>(f[0]), mom = static_cast<float>(f[1]), wd = static_cast<float>(f[2]);
  const float *pv = v.data_ptr<float>(), *pg = g.data_ptr<float>(), *pb = hasBuffer ? b.data_ptr<float>() : nullptr;
  float *ov = nv.data_ptr<float>(), *ob = useMomentum ? nb.data_ptr<float>() : nullptr;
  parallelRange(v.numel(), 1 << 15, [&](int64_t lo, int64_t hi) {
    for (int64_t j = lo; j < hi; j++) {
      float d = pg[j];
      if (wd != 0) {
        const float decay = pv[j] * wd;
        d = d + decay;
      }
      if (useMomentum) {
        if (hasBuffer) {
          const float kept = pb[j] * mom;
          d = kept + d;
        }
        ob[j] = d;
      }
      const float step = d * lr;
      ov[j] = pv[j] - step;
    }
  });
}

std::unordered_map<std::string, Kernel> buildKernels() {
  std::unordered_map<std::string, Kernel> k;
  using T = const Tensors&;
  using I = const Ints&;
  using F = const Floats&;
#define UNARY(NAME, EXPR) k[NAME] = [](T in, I, F f) -> Tensors { const at::Tensor& x = in[0]; (void)f; return {EXPR}; };
  UNARY("Neg", at::neg(x))
  UNARY("Abs", at::abs(x))
  UNARY("Exp", at::exp(x))
  UNARY("Expm1", at::expm1(x))
  UNARY("Log", at::log(x))
  UNARY("Log1p", at::log1p(x))
  UNARY("Sqrt", at::sqrt(x))
  UNARY("Rsqrt", at::rsqrt(x))
  UNARY("Square", x * x)
  UNARY("Reciprocal", at::reciprocal(x))
  UNARY("Relu", at::relu(x))
  UNARY("Relu6", at::clamp(x, 0, 6))
  UNARY("Elu", at::elu(x))
  UNARY("Selu", at::selu(x))
  UNARY("Sigmoid", at::sigmoid(x))
  UNARY("Tanh", at::tanh(x))
  UNARY("Softplus", at::softplus(x))
  UNARY("Sign", at::sign(x))
  UNARY("Erf", at::erf(x))
  UNARY("Acos", at::acos(x))
  UNARY("Asin", at::asin(x))
  UNARY("Atan", at::atan(x))
  UNARY("Acosh", at::acosh(x))
  UNARY("Asinh", at::asinh(x))
  UNARY("Atanh", at::atanh(x))
  UNARY("Cos", at::cos(x))
  UNARY("Sin", at::sin(x))
  UNARY("Tan", at::tan(x))
  UNARY("Cosh", at::cosh(x))
  UNARY("Sinh", at::sinh(x))
  UNARY("Floor", at::floor(x))
  UNARY("Ceil", at::ceil(x))
  UNARY("Round", at::round(x))
  UNARY("IsNan", at::isnan(x))
  UNARY("IsInf", at::isinf(x))
  UNARY("IsFinite", at::isfinite(x))
  UNARY("LogicalNot", at::logical_not(x))
  UNARY("ZerosLike", at::zeros_like(x, at::MemoryFormat::Contiguous))
  UNARY("OnesLike", at::ones_like(x, at::MemoryFormat::Contiguous))
  UNARY("Identity", x)
  UNARY("LeakyRelu", at::leaky_relu(x, f[0]))
  UNARY("Step", stepKernel(x, f[0]))
  UNARY("ClipByValue", at::clamp(x, f[0], f[1]))
#undef UNARY

#define BINARY(NAME, EXPR) k[NAME] = [](T in, I, F) -> Tensors { const at::Tensor &a = in[0], &b = in[1]; return {EXPR}; };
  BINARY("Add", at::add(a, b))
  BINARY("Sub", at::sub(a, b))
  BINARY("Multiply", at::mul(a, b))
  BINARY("RealDiv", at::div(a, b))
  BINARY("FloorDiv", at::div(a, b, "floor").to(at::kInt))  // TF.js floorDiv is int32 even on floats
  BINARY("Mod", at::remainder(a, b))
  BINARY("Maximum", at::maximum(a, b))
  BINARY("Minimum", at::minimum(a, b))
  BINARY("Pow", at::pow(a, b))
  BINARY("Atan2", at::atan2(a, b))
  BINARY("SquaredDifference", (a - b) * (a - b))
  BINARY("Prelu", at::where(a < 0, a * b, a))
  BINARY("Greater", at::gt(a, b))
  BINARY("GreaterEqual", at::ge(a, b))
  BINARY("Less", at::lt(a, b))
  BINARY("LessEqual", at::le(a, b))
  BINARY("Equal", at::eq(a, b))
  BINARY("NotEqual", at::ne(a, b))
  BINARY("LogicalAnd", at::logical_and(a, b))
  BINARY("LogicalOr", at::logical_or(a, b))
  BINARY("LogicalXor", at::logical_xor(a, b))
  BINARY("DivNoNan", at::where(b == 0, at::zeros_like(a), at::div(a, b)))
  // EluGrad(dy, y): dy where y >= 0, dy * (y + 1) elsewhere.
  BINARY("EluGrad", at::where(b < 0, a * (b + 1), a))
  // ReluGrad(dy, x): TF.js's ReLU gradient dy * step(x), fused (the FusedReluGrad kernel of lib/engine/gradients.ts).
  BINARY("ReluGrad", reluGradKernel(a, b))
#undef BINARY

  k["AddN"] = [](T in, I, F) -> Tensors {
    at::Tensor s = in[0].clone();
    for (size_t i = 1; i < in.size(); i++) s.add_(in[i]);
    return {s};
  };
  // One SGD step with momentum and L2 weight decay in one pass, instead of the composite's six element-wise
  // kernels (each allocating a parameter-sized tensor): d = g + v wd; b' = b mom + d (b' = d on the first step);
  // v' = v - b' lr. Each product and sum is rounded to float32 on its own, in the composite's order (this file is
  // built without FMA contraction), so the results equal the composite's bit for bit. inputs v, g[, b];
  // ints = [hasBuffer, useMomentum]; floats = [lr, momentum, wd]. Outputs v' (and b' with momentum).
  k["SgdStep"] = [](T in, I i, F f) -> Tensors {
    const at::Tensor v = in[0].contiguous(), g = in[1].contiguous();
    const bool hasBuffer = i[0] != 0, useMomentum = i[1] != 0;
    const at::Tensor b = hasBuffer ? in[2].contiguous() : at::Tensor();
    at::Tensor nv = at::empty_like(v), nb = useMomentum ? at::empty_like(v) : at::Tensor();
    sgdPass(v, g, b, nv, nb, f);
    if (useMomentum) return {nv, nb};
    return {nv};
  };
  k["Select"] = [](T in, I, F) -> Tensors {
    at::Tensor c = in[0];
    // TF's rank-1 condition picks whole rows of a higher-rank input.
    if (c.dim() == 1 && in[1].dim() > 1) {
      Ints shape(in[1].dim(), 1);
      shape[0] = c.size(0);
      c = c.reshape(shape);
    }
    return {at::where(c, in[1], in[2])};
  };
  k["Cast"] = [](T in, I i, F) -> Tensors {
    at::ScalarType to = scalarType(i[0]);
    if (to == at::kBool) return {in[0] != 0};
    return {in[0].to(to)};
  };
  // Reductions: ints = [kind, keepDims, ...axes]
  k["Reduce"] = [](T in, I i, F) -> Tensors {
    return {reduceAxes(in[0], Ints(i.begin() + 2, i.end()), i[1] != 0, static_cast<int>(i[0]))};
  };
  k["ArgMax"] = [](T in, I i, F) -> Tensors { return {at::argmax(in[0], i[0])}; };
  k["ArgMin"] = [](T in, I i, F) -> Tensors { return {at::argmin(in[0], i[0])}; };
  k["Softmax"] = [](T in, I i, F) -> Tensors { return {at::softmax(in[0], i[0])}; };
  k["Reshape"] = [](T in, I i, F) -> Tensors { return {in[0].reshape(i)}; };
  k["Transpose"] = [](T in, I i, F) -> Tensors { return {in[0].permute(i)}; };
  k["BroadcastTo"] = [](T in, I i, F) -> Tensors { return {in[0].expand(i)}; };
  // Tiling only axes of size 1 is a broadcast (tf.broadcastTo runs Tile): a view, no copy.
  k["Tile"] = [](T in, I i, F) -> Tensors {
    const at::Tensor& x = in[0];
    Ints shape;
    bool broadcast = static_cast<int64_t>(i.size()) == x.dim();
    for (int64_t d = 0; broadcast && d < x.dim(); d++) {
      broadcast = i[d] == 1 || x.size(d) == 1;
      shape.push_back(x.size(d) * i[d]);
    }
    return {broadcast ? x.expand(shape) : x.repeat(i)};
  };
  k["Reverse"] = [](T in, I i, F) -> Tensors { return {i.empty() ? in[0] : at::flip(in[0], i)}; };
  // Slice: ints = [rank, ...begin, ...size]
  k["Slice"] = [](T in, I i, F) -> Tensors {
    at::Tensor x = in[0];
    const int64_t r = i[0];
    for (int64_t d = 0; d < r; d++) x = x.narrow(d, i[1 + d], i[1 + r + d]);
    return {x};
  };
  // StridedSlice after TF.js's sliceInfo: ints = [rank, ...begin, ...end, ...strides, finalRank, ...finalShape]
  k["StridedSlice"] = [](T in, I i, F) -> Tensors {
    at::Tensor x = in[0];
    const int64_t r = i[0];
    for (int64_t d = 0; d < r; d++) {
      const int64_t b = i[1 + d], e = i[1 + r + d], s = i[1 + 2 * r + d];
      x = e <= b ? x.narrow(d, 0, 0) : x.slice(d, b, e, s);
    }
    const int64_t fr = i[1 + 3 * r];
    return {x.reshape(Ints(i.begin() + 2 + 3 * r, i.begin() + 2 + 3 * r + fr))};
  };
  k["Concat"] = [](T in, I i, F) -> Tensors { return {at::cat(in, i[0])}; };
  k["Pack"] = [](T in, I i, F) -> Tensors { return {at::stack(in, i[0])}; };
  k["Unpack"] = [](T in, I i, F) -> Tensors { return at::unbind(in[0], i[0]); };
  k["SplitV"] = [](T in, I i, F) -> Tensors { return at::split_with_sizes(in[0], Ints(i.begin() + 1, i.end()), i[0]); };
  // PadV2: ints = ATen's pad list (last dim first, before/after pairs); floats = [value]
  k["PadV2"] = [](T in, I i, F f) -> Tensors { return {at::constant_pad_nd(in[0], i, f[0])}; };
  // GatherV2 without batch dims: ints = [axis]
  k["GatherV2"] = [](T in, I i, F) -> Tensors {
    const at::Tensor &x = in[0], &idx = in[1];
    const int64_t axis = i[0];
    at::Tensor g = at::index_select(x, axis, idx.reshape({-1}).to(at::kLong));
    Ints shape(x.sizes().begin(), x.sizes().begin() + axis);
    for (auto s : idx.sizes()) shape.push_back(s);
    for (int64_t d = axis + 1; d < x.dim(); d++) shape.push_back(x.size(d));
    return {g.reshape(shape)};
  };
  // GatherNd: ints = [sliceRank k]; indices [..., k] address the first k dims of x.
  k["GatherNd"] = [](T in, I i, F) -> Tensors {
    const at::Tensor &x = in[0], &idx = in[1];
    const int64_t kd = i[0];
    Ints rest(x.sizes().begin() + kd, x.sizes().end());
    Ints flat{-1};
    flat.insert(flat.end(), rest.begin(), rest.end());
    at::Tensor lin = at::zeros(idx.sizes().slice(0, idx.dim() - 1), idx.options().dtype(at::kLong));
    for (int64_t d = 0; d < kd; d++) lin = lin * x.size(d) + idx.select(-1, d).to(at::kLong);
    Ints shape(idx.sizes().begin(), idx.sizes().end() - 1);
    shape.insert(shape.end(), rest.begin(), rest.end());
    return {at::index_select(x.reshape(flat), 0, lin.reshape({-1})).reshape(shape)};
  };
  // OneHot: ints = [depth, dtype]; floats = [on, off]. Out-of-range indices give an all-off row, as in TF.
  k["OneHot"] = [](T in, I i, F f) -> Tensors {
    at::Tensor idx = in[0].to(at::kLong).unsqueeze(-1);
    at::Tensor hit = idx == at::arange(i[0], idx.options());
    at::TensorOptions o = in[0].options().dtype(scalarType(i[1]));
    return {at::where(hit, at::scalar_tensor(f[0], o), at::scalar_tensor(f[1], o))};
  };
  // Fill: ints = [dtype, ...shape]; floats = [value]
  k["Fill"] = [](T, I i, F f) -> Tensors {
    return {at::full(Ints(i.begin() + 1, i.end()), f[0], at::TensorOptions().dtype(scalarType(i[0])).device(device))};
  };
  // Range: ints = [dtype, n]; floats = [start, step]; TF's values are start + i * step.
  k["Range"] = [](T, I i, F f) -> Tensors {
    at::Tensor r = at::arange(i[1], at::TensorOptions().dtype(at::kDouble).device(device)) * f[1] + f[0];
    return {r.to(scalarType(i[0]))};
  };
  // Cumsum: ints = [axis, exclusive, reverse]
  k["Cumsum"] = [](T in, I i, F) -> Tensors {
    at::Tensor x = in[0];
    const int64_t ax = i[0];
    if (i[2]) x = at::flip(x, {ax});
    at::Tensor c = at::cumsum(x, ax, x.scalar_type());
    if (i[1]) c = c - x;
    if (i[2]) c = at::flip(c, {ax});
    return {c};
  };
  // FusedBatchNorm: inputs x, mean, variance[, offset][, scale]; ints = [hasOffset, hasScale]; floats = [eps]
  k["FusedBatchNorm"] = [](T in, I i, F f) -> Tensors {
    at::Tensor y = (in[0] - in[1]) * at::rsqrt(in[2] + f[0]);
    size_t next = 3;
    at::Tensor offset;
    if (i[0]) offset = in[next++];
    if (i[1]) y = y * in[next++];
    if (i[0]) y = y + offset;
    return {y};
  };

  // Training-mode batch norm over all axes but the last, for lib/engine/batchNorm.ts. Inputs x ([N, H, W, C] or
  // [N, C], float32, more than one value per channel), gamma, beta; floats = [eps]. Outputs y, the batch mean,
  // 1/sqrt(biased variance + eps) (what the gradient needs), and the unbiased variance (what running averages
  // use): ATen writes it into a zero running variance at momentum 1.
  k["BatchNormTrain"] = [](T in, I, F f) -> Tensors {
    const bool image = in[0].dim() == 4;
    const at::Tensor x = image ? nchw(in[0]) : in[0].contiguous();
    const int64_t c = in[0].size(in[0].dim() - 1);
    at::Tensor runMean = at::zeros({c}, x.options()), runVar = at::zeros({c}, x.options());
    auto r = at::native_batch_norm(x, in[1].contiguous(), in[2].contiguous(), runMean, runVar, true, 1.0, f[0]);
    const at::Tensor& y = std::get<0>(r);
    return {image ? nhwc(y) : y, std::get<1>(r), std::get<2>(r), runVar};
  };
  // Its gradient: inputs dy, x, gamma, mean, invstd (the forward's outputs); floats = [eps]; outputs dx, dgamma, dbeta.
  k["BatchNormTrainGrad"] = [](T in, I, F f) -> Tensors {
    const bool image = in[1].dim() == 4;
    const at::Tensor dy = image ? nchw(in[0]) : in[0].contiguous(), x = image ? nchw(in[1]) : in[1].contiguous();
    auto r = at::native_batch_norm_backward(dy, x, in[2].contiguous(), c10::nullopt, c10::nullopt, in[3], in[4], true, f[0],
                                            {true, true, true});
    const at::Tensor& dx = std::get<0>(r);
    return {image ? nhwc(dx) : dx, std::get<1>(r), std::get<2>(r)};
  };

  // Matmul: ints = [transposeA, transposeB, activation, hasBias, hasPrelu]; floats = [leakyAlpha]
  k["BatchMatMul"] = [](T in, I i, F f) -> Tensors {
    at::Tensor a = i[0] ? in[0].transpose(-2, -1) : in[0];
    at::Tensor b = i[1] ? in[1].transpose(-2, -1) : in[1];
    at::Tensor y = onednnMatmul(a, b);
    if (!y.defined()) y = at::matmul(a, b);
    if (i.size() > 2) {
      size_t next = 2;
      if (i[3]) y = y + in[next++];
      const at::Tensor* pr = i[4] ? &in[next] : nullptr;
      y = activate(y, i[2], f.empty() ? 0.2 : f[0], pr);
    }
    return {y};
  };

  // Conv: ints = geometry(8) + [activation, hasBias, hasPrelu]
  k["Conv2D"] = [](T in, I i, F f) -> Tensors {
    const bool fused = i.size() > 8;
    size_t next = 2;
    const at::Tensor* bias = fused && i[9] ? &in[next++] : nullptr;
    // A per-channel bias goes into the convolution itself (see convForward); one of another shape (TF.js
    // broadcasts any) is added after.
    const bool inside = bias && bias->dim() == 1 && bias->size(0) == in[1].size(3) && bias->scalar_type() == in[0].scalar_type();
    at::Tensor y = convForward(in[0], filterOIHW(in[1]), geom(i), 1, inside ? c10::optional<at::Tensor>(bias->contiguous()) : c10::nullopt);
    if (bias && !inside) y = y + *bias;
    if (fused) y = activate(y, i[8], f.empty() ? 0.2 : f[0], i[10] ? &in[next] : nullptr);
    return {y};
  };
  k["DepthwiseConv2dNative"] = [](T in, I i, F) -> Tensors {
    return {convForward(in[0], depthwiseOIHW(in[1]), geom(i), in[0].size(3))};
  };
  // ints = geometry(8) + [n, h, w, c]
  k["Conv2DBackpropInput"] = [](T in, I i, F) -> Tensors {
    at::Tensor few = convBackInputFew(in[0], in[1], geom(i), i[8], i[9], i[10], i[11]);
    if (few.defined()) return {few};
    return {convBackInput(in[0], filterOIHW(in[1]), geom(i), 1, i[8], i[9], i[10], i[11])};
  };
  k["DepthwiseConv2dNativeBackpropInput"] = [](T in, I i, F) -> Tensors {
    return {convBackInput(in[0], depthwiseOIHW(in[1]), geom(i), i[11], i[8], i[9], i[10], i[11])};
  };
  // ints = geometry(8) + filter shape [fh, fw, in, out]
  k["Conv2DBackpropFilter"] = [](T in, I i, F) -> Tensors {
    return {convBackFilter(in[0], in[1], geom(i), 1, i[11], i[10], i[8], i[9]).permute({2, 3, 1, 0})};
  };
  // ints = geometry(8) + filter shape [fh, fw, in, mult]
  k["DepthwiseConv2dNativeBackpropFilter"] = [](T in, I i, F) -> Tensors {
    at::Tensor gw = convBackFilter(in[0], in[1], geom(i), i[10], i[10] * i[11], 1, i[8], i[9]);
    return {gw.permute({2, 3, 0, 1}).reshape({i[8], i[9], i[10], i[11]})};
  };

  k["MaxPool"] = [](T in, I i, F) -> Tensors {
    Pool p = pool(i);
    if (p.fh == 2 && p.fw == 2 && p.sh == 2 && p.sw == 2 && p.top == 0 && p.bottom == 0 && p.left == 0 && p.right == 0 &&
        in[0].scalar_type() == at::kFloat && in[0].device().is_cpu() && in[0].dim() == 4)
      return {maxPool2x2Nhwc(in[0])};
    return {nhwc(at::max_pool2d(maxPoolInput(in[0], p), {p.fh, p.fw}, {p.sh, p.sw}, poolPad(p)))};
  };
  // MaxPoolGrad(dy, input, output): the arg-max positions are recomputed from the input.
  k["MaxPoolGrad"] = [](T in, I i, F) -> Tensors {
    Pool p = pool(i);
    if (in[1].scalar_type() == at::kFloat && in[1].device().is_cpu()) return {maxPoolGradNhwc(in[0], in[1], p)};
    at::Tensor xin = maxPoolInput(in[1], p);
    auto r = at::max_pool2d_with_indices(xin, {p.fh, p.fw}, {p.sh, p.sw}, poolPad(p));
    at::Tensor gx = at::max_pool2d_with_indices_backward(nchw(in[0]), xin, {p.fh, p.fw}, {p.sh, p.sw}, poolPad(p), {1, 1},
                                                         false, std::get<1>(r));
    if (!p.native()) gx = gx.narrow(2, p.top, in[1].size(1)).narrow(3, p.left, in[1].size(2));
    return {nhwc(gx)};
  };
  // Average pooling counts only real inputs (TF), i.e. count_include_pad = false. Paddings ATen cannot express
  // (asymmetric, or wider than half the window) become window sums over a zero-padded input divided by the
  // number of real inputs in each window.
  k["AvgPool"] = [](T in, I i, F) -> Tensors {
    Pool p = pool(i);
    if (p.native())
      return {nhwc(at::avg_pool2d(nchw(in[0]), {p.fh, p.fw}, {p.sh, p.sw}, {p.top, p.left}, false, false))};
    at::Tensor xp = at::constant_pad_nd(nchw(in[0]), {p.left, p.right, p.top, p.bottom}, 0);
    at::Tensor sums = at::avg_pool2d(xp, {p.fh, p.fw}, {p.sh, p.sw}, {0, 0}, false, true, 1);
    return {nhwc(sums / avgCounts(in[0], p))};
  };
  k["AvgPoolGrad"] = [](T in, I i, F) -> Tensors {
    Pool p = pool(i);
    if (p.native())
      return {nhwc(at::avg_pool2d_backward(nchw(in[0]), nchw(in[1]), {p.fh, p.fw}, {p.sh, p.sw}, {p.top, p.left}, false,
                                           false, c10::nullopt))};
    const at::Tensor& x = in[1];
    at::Tensor shape = at::empty({x.size(0), x.size(3), x.size(1) + p.top + p.bottom, x.size(2) + p.left + p.right},
                                 x.options().memory_format(at::MemoryFormat::ChannelsLast));
    at::Tensor g = at::avg_pool2d_backward(nchw(in[0]) / avgCounts(x, p), shape, {p.fh, p.fw}, {p.sh, p.sw}, {0, 0}, false,
                                           true, 1);
    return {nhwc(g.narrow(2, p.top, x.size(1)).narrow(3, p.left, x.size(2)))};
  };
  return k;
}

std::unordered_map<std::string, Kernel>& kernels() {
  static std::unordered_map<std::string, Kernel> k = buildKernels();
  return k;
}

const at::Tensor& get(int64_t id) {
  auto it = store.find(id);
  if (it == store.end()) throw std::runtime_error("aten: unknown tensor id " + std::to_string(id));
  return it->second;
}

Ints intsOf(const Napi::Value& v) {
  Ints r;
  if (!v.IsArray()) return r;
  Napi::Array a = v.As<Napi::Array>();
  r.reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) r.push_back(a.Get(i).As<Napi::Number>().Int64Value());
  return r;
}

Floats floatsOf(const Napi::Value& v) {
  Floats r;
  if (!v.IsArray()) return r;
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) r.push_back(a.Get(i).As<Napi::Number>().DoubleValue());
  return r;
}

template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, F&& f) {
  try {
    return f();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(info.Env(), std::string("aten: ") + e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

// init(threads, device) -> {version, device, threads, cuda}
Napi::Value Init(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const int threads = info[0].As<Napi::Number>().Int32Value();
    const std::string dev = info[1].As<Napi::String>().Utf8Value();
    if (dev == "cuda") {
      if (!at::hasCUDA())
        throw std::runtime_error("ROBUSTLAB_DEVICE=cuda, but the libtorch found has no CUDA support or sees no GPU; "
                                 "use a CUDA build of torch (pip) on a GPU machine, or unset ROBUSTLAB_DEVICE");
      device = at::Device(at::kCUDA, 0);
    } else if (dev == "cpu") {
      device = at::kCPU;
    } else {
      throw std::runtime_error("ROBUSTLAB_DEVICE must be cpu or cuda, got '" + dev + "'");
    }
    at::set_num_threads(threads);
    dnnlSgemm = findDnnlSgemm();
    const char* g = std::getenv("ROBUSTLAB_ATEN_GEMM");
    // Unset: oneDNN where it resolved, else the BLAS; set: as asked.
    setGemm(g && *g ? g : (dnnlSgemm ? "onednn" : "blas"), "ROBUSTLAB_ATEN_GEMM");
#ifdef __GLIBC__
    // Activations of a training step are tens of MiB, allocated and freed every step. glibc serves blocks
    // above its mmap threshold with mmap and unmaps them on free, so each step faults every page in again (and
    // the kernel zeroes it). Kept on the heap they are reused: first the threshold went to glibc's maximum,
    // 32 MiB (small-CNN input-gradient step 150-220 ms -> about 125 ms), but ResNet-18's first-stage
    // activations at batch 128 are 32 MiB + a little, and an input-gradient step still faulted 150,000 pages
    // (600 MiB, half a second of system time); with mmap off (M_MMAP_MAX 0) it faults about 5,000. The cost:
    // freed memory stays with the process (RSS stays at the largest step's peak; the top of the heap beyond
    // 1 GiB free is trimmed). Users' own MALLOC_* settings win.
    if (!std::getenv("MALLOC_MMAP_THRESHOLD_") && !std::getenv("MALLOC_TRIM_THRESHOLD_") && !std::getenv("MALLOC_MMAP_MAX_")) {
      mallopt(M_MMAP_THRESHOLD, 32 << 20);
      mallopt(M_TRIM_THRESHOLD, 1 << 30);
      mallopt(M_MMAP_MAX, 0);
    }
#endif
    Napi::Object r = Napi::Object::New(info.Env());
    r.Set("version", std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
                         std::to_string(TORCH_VERSION_PATCH));
    r.Set("device", dev);
    r.Set("threads", at::get_num_threads());
    r.Set("cuda", at::hasCUDA());
    r.Set("gemm", gemm == Gemm::Onednn ? "onednn" : "blas");
    r.Set("onednnSgemm", dnnlSgemm != nullptr);
    return r;
  });
}

// blas(threads) -> {file, name, threads, config?, core?}: the library that defines the `sgemm_` ATen calls
// (libtorch binds it at load time, so the first definition in the addon's lookup scope is the one in use) and
// its thread count. threads > 0 first sets the pool size of an OpenBLAS, MKL or BLIS; other builds have none.
// The BLAS's own functions are looked up through that library's handle, which searches it and its
// dependencies: Debian's OpenBLAS libblas.so.3 is a wrapper that links libopenblas.so.0, while with
// LD_LIBRARY_PATH naming netlib's libblas.so.3 an OpenBLAS is still mapped (Debian's liblapack.so.3 links it)
// but no sgemm_ reaches it, so a scan of /proc/self/maps would name the wrong one.
Napi::Value Blas(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const int want = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
    using SetThreads = void (*)(int);
    using GetInt = int (*)();
    using GetStr = char* (*)();
    Napi::Env env = info.Env();
    Napi::Object r = Napi::Object::New(env);
    void* gemm = dlsym(RTLD_DEFAULT, "sgemm_");
    if (!gemm) gemm = dlsym(RTLD_DEFAULT, "cblas_sgemm");
    Dl_info where{};
    std::string file = gemm && dladdr(gemm, &where) && where.dli_fname ? where.dli_fname : "";
    if (char* real = file.empty() ? nullptr : realpath(file.c_str(), nullptr)) {
      file = real;
      std::free(real);
    }
    void* lib = file.empty() ? nullptr : dlopen(file.c_str(), RTLD_LAZY | RTLD_NOLOAD);
    auto sym = [&](const char* n) { return lib ? dlsym(lib, n) : nullptr; };
    int threads = 1;
    std::string name = "unknown";
    auto pool = [&](const char* nm, const char* set, const char* get) {
      if (!sym(get)) return false;
      if (want > 0 && sym(set)) reinterpret_cast<SetThreads>(sym(set))(want);
      threads = reinterpret_cast<GetInt>(sym(get))();
      name = nm;
      return true;
    };
    if (pool("OpenBLAS", "openblas_set_num_threads", "openblas_get_num_threads")) {
      if (auto cfg = reinterpret_cast<GetStr>(sym("openblas_get_config"))) r.Set("config", std::string(cfg()));
      if (auto core = reinterpret_cast<GetStr>(sym("openblas_get_corename"))) r.Set("core", std::string(core()));
    } else if (pool("MKL", "mkl_set_num_threads", "mkl_get_max_threads") ||
               pool("BLIS", "bli_thread_set_num_threads", "bli_thread_get_num_threads")) {
    } else if (file.find("/blas/") != std::string::npos || file.find("/libblas.so") != std::string::npos) {
      // Netlib's libblas.so.3 (Debian's libblas3, /usr/lib/<arch>/blas/): Fortran loops, no threads.
      name = "reference";
    }
    if (lib) dlclose(lib);
    r.Set("file", file);
    r.Set("name", name);
    r.Set("threads", threads);
    return r;
  });
}

// write(typedArray, shape, dtypeCode) -> id; the data is copied into a fresh ATen tensor.
Napi::Value Write(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
    Ints shape = intsOf(info[1]);
    at::ScalarType st = scalarType(info[2].As<Napi::Number>().Int64Value());
    at::Tensor t = at::empty(shape, at::TensorOptions().dtype(st));
    const size_t bytes = t.nbytes();
    if (ta.ByteLength() != bytes)
      throw std::runtime_error("aten: write got " + std::to_string(ta.ByteLength()) + " bytes for " + std::to_string(bytes));
    if (bytes) std::memcpy(t.data_ptr(), static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset(), bytes);
    if (device != at::kCPU) t = t.to(device);
    const int64_t id = nextId++;
    store.emplace(id, std::move(t));
    return Napi::Number::New(info.Env(), static_cast<double>(id));
  });
}

// read(id) -> Float32Array | Int32Array | Uint8Array (a copy in TF's row-major order)
Napi::Value Read(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    at::Tensor t = get(info[0].As<Napi::Number>().Int64Value()).to(at::kCPU).contiguous();
    const size_t n = t.numel();
    Napi::Env env = info.Env();
    switch (dtypeCode(t)) {
      case 0: { auto a = Napi::Float32Array::New(env, n); if (n) std::memcpy(a.Data(), t.data_ptr(), n * 4); return a; }
      case 1: { auto a = Napi::Int32Array::New(env, n); if (n) std::memcpy(a.Data(), t.data_ptr(), n * 4); return a; }
      default: { auto a = Napi::Uint8Array::New(env, n); if (n) std::memcpy(a.Data(), t.data_ptr(), n); return a; }
    }
  });
}

Napi::Value Free(const Napi::CallbackInfo& info) {
  store.erase(info[0].As<Napi::Number>().Int64Value());
  return info.Env().Undefined();
}

// heap() -> bytes the C heap (glibc malloc) has handed out and not had back, or -1 where unknown: the tests'
// leak check for native memory outside ATen's storages.
Napi::Value Heap(const Napi::CallbackInfo& info) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  struct mallinfo2 m = mallinfo2();
  return Napi::Number::New(info.Env(), static_cast<double>(m.uordblks + m.hblkhd));
#else
  return Napi::Number::New(info.Env(), -1);
#endif
}

Napi::Value Count(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(store.size())); }

// Bytes held by distinct storages (views share their base's storage).
Napi::Value Bytes(const Napi::CallbackInfo& info) {
  std::unordered_map<const void*, size_t> seen;
  for (auto& kv : store) {
    const auto& s = kv.second.storage();
    if (s) seen[s.unsafeGetStorageImpl()] = s.nbytes();
  }
  double total = 0;
  for (auto& kv : seen) total += static_cast<double>(kv.second);
  return Napi::Number::New(info.Env(), total);
}

// gemm([name]) -> the product path in use, "onednn" or "blas"; with a name, switches to it first (onednn only
// where dnnl_sgemm resolved).
Napi::Value GemmChoice(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    if (info.Length() > 0 && info[0].IsString()) setGemm(info[0].As<Napi::String>().Utf8Value(), "aten: gemm");
    return Napi::String::New(info.Env(), gemm == Gemm::Onednn ? "onednn" : "blas");
  });
}

// A tensor the store alone holds, with a storage no other tensor (a view, an alias) shares: writing into it
// changes no other TF.js tensor.
bool exclusive(const at::Tensor& t) {
  return t.defined() && t.use_count() == 1 && t.storage().use_count() == 1 && t.is_contiguous() && t.device().is_cpu() &&
         t.scalar_type() == at::kFloat;
}

// sgdInPlace(vId, gId, bId or -1, lr, momentum, wd) -> true when v (and b) were updated in place: the SGD step of
// sgdPass written into v's and b's own storage, as PyTorch's optimiser does, instead of two new parameter-sized
// tensors per step. False (nothing written) when either is not exclusive (see exclusive()), a shape or dtype
// differs, or momentum is used without a buffer: the caller then runs the allocating SgdStep kernel.
Napi::Value SgdInPlace(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const at::Tensor& v = get(info[0].As<Napi::Number>().Int64Value());
    const at::Tensor g = get(info[1].As<Napi::Number>().Int64Value()).contiguous();
    const int64_t bId = info[2].As<Napi::Number>().Int64Value();
    const Floats f = {info[3].As<Napi::Number>().DoubleValue(), info[4].As<Napi::Number>().DoubleValue(), info[5].As<Napi::Number>().DoubleValue()};
    const bool useMomentum = f[1] != 0;
    const auto no = Napi::Boolean::New(info.Env(), false);
    if (!exclusive(v) || g.scalar_type() != at::kFloat || !g.device().is_cpu() || g.sizes() != v.sizes()) return no;
    if (useMomentum != (bId >= 0)) return no;
    const at::Tensor none;
    if (!useMomentum) {
      sgdPass(v, g, none, v, none, f);
      return Napi::Boolean::New(info.Env(), true);
    }
    const at::Tensor& b = get(bId);
    if (!exclusive(b) || b.sizes() != v.sizes() || b.is_same(v)) return no;
    sgdPass(v, g, b, v, b, f);
    return Napi::Boolean::New(info.Env(), true);
  });
}

// op(name, inIds, ints, floats) -> [nOut, (id, dtype, rank, ...dims)*]
Napi::Value Op(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const std::string name = info[0].As<Napi::String>().Utf8Value();
    auto it = kernels().find(name);
    if (it == kernels().end()) throw std::runtime_error("aten: no native kernel " + name);
    Ints ids = intsOf(info[1]);
    Tensors in;
    in.reserve(ids.size());
    for (int64_t id : ids) in.push_back(get(id));
    Tensors out = it->second(in, intsOf(info[2]), floatsOf(info[3]));
    Napi::Env env = info.Env();
    Napi::Array r = Napi::Array::New(env);
    uint32_t k = 0;
    r.Set(k++, static_cast<double>(out.size()));
    for (auto& t0 : out) {
      at::Tensor t = normalise(t0);
      const int64_t id = nextId++;
      r.Set(k++, static_cast<double>(id));
      r.Set(k++, dtypeCode(t));
      r.Set(k++, static_cast<double>(t.dim()));
      for (auto s : t.sizes()) r.Set(k++, static_cast<double>(s));
      store.emplace(id, std::move(t));
    }
    return r;
  });
}

Napi::Object Module(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, Init));
  exports.Set("write", Napi::Function::New(env, Write));
  exports.Set("read", Napi::Function::New(env, Read));
  exports.Set("free", Napi::Function::New(env, Free));
  exports.Set("count", Napi::Function::New(env, Count));
  exports.Set("bytes", Napi::Function::New(env, Bytes));
  exports.Set("heap", Napi::Function::New(env, Heap));
  exports.Set("op", Napi::Function::New(env, Op));
  exports.Set("sgdInPlace", Napi::Function::New(env, SgdInPlace));
  exports.Set("gemm", Napi::Function::New(env, GemmChoice));
  exports.Set("blas", Napi::Function::New(env, Blas));
  Napi::Array names = Napi::Array::New(env);
  uint32_t i = 0;
  for (auto& kv : kernels()) names.Set(i++, kv.first);
  exports.Set("kernels", names);
  return exports;
}

}  // namespace

NODE_API_MODULE(robustlab_aten, Module)
