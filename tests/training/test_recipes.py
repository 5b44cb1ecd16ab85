from tunex_core.training.recipes import BFLOAT16_CPU_FLAGS, choose_precision, cpu_flags

AVX2_ONLY = frozenset({"fpu", "sse2", "avx", "avx2", "fma"})


def test_cpu_flags_read_x86_and_arm_cpuinfo(tmp_path):
    x86 = tmp_path / "x86"
    x86.write_text("processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse2 avx2 avx512f avx512bw\n\n"
                   "processor\t: 1\nflags\t\t: fpu\n")
    assert cpu_flags(str(x86)) == frozenset({"fpu", "sse2", "avx2", "avx512f", "avx512bw"})
    arm = tmp_path / "arm"
    arm.write_text("processor\t: 0\nFeatures\t: fp asimd bf16\n")
    assert cpu_flags(str(arm)) == frozenset({"fp", "asimd", "bf16"})
    nothing = tmp_path / "empty"
    nothing.write_text("processor\t: 0\n")
    assert cpu_flags(str(nothing)) is None
    assert cpu_flags(str(tmp_path / "missing")) is None
    assert cpu_flags(str(tmp_path)) is None  # a folder, not a file


def test_bfloat16_only_where_it_runs_fast():
    assert choose_precision(AVX2_ONLY, gpu_count=1) == (True, "bfloat16 mixed precision (a GPU is visible)")
    for flag in BFLOAT16_CPU_FLAGS:
        chosen, reason = choose_precision(AVX2_ONLY | {flag}, gpu_count=0)
        assert chosen and flag in reason
    chosen, reason = choose_precision(AVX2_ONLY, gpu_count=0)
    assert not chosen and "no AVX-512" in reason and "--bfloat16" in reason
    chosen, reason = choose_precision(None, gpu_count=0)
    assert not chosen and "could not be read" in reason
