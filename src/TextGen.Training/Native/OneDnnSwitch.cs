using System.Runtime.InteropServices;

namespace TextGen.Native;

/// <summary>
/// Turns off libtorch's oneDNN (MKLDNN) kernels, so that recurrent layers run on libtorch's own implementation.
/// Why: libtorch 2.10 runs a float32 LSTM in eval mode through oneDNN's `brgemm:avx512_core` inference primitive,
/// which on AMD's Zen 5 computes wrong outputs for some widths (far off a float64 run, not rounding). Training takes
/// oneDNN's reference primitive and is exact, but validation and `eval` are inference. Without oneDNN every width is
/// exact and training is faster, evaluation slower (docs/runtime.md has the measurements). TorchSharp has no API for
/// the switch, so this calls
/// <c>at::globalContext().setUserEnabledMkldnn(false)</c> in libtorch_cpu by its C++ symbol name.
/// </summary>
internal static class OneDnnSwitch
{
    private const string LibTorchCpu = "libtorch_cpu.so";

    [DllImport(LibTorchCpu, EntryPoint = "_ZN2at13globalContextEv")]
    private static extern IntPtr GlobalContext();

    [DllImport(LibTorchCpu, EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    private static extern void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport(LibTorchCpu, EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static extern bool UserEnabledMkldnn(IntPtr context);

    /// <summary>Disables oneDNN; returns whether it is off afterwards (false where libtorch lacks the symbols).</summary>
    public static bool TurnOff()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }
        try
        {
            var context = GlobalContext();
            SetUserEnabledMkldnn(context, false);
            return !UserEnabledMkldnn(context);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> with oneDNN on, then off again: for bf16 products, which only oneDNN runs fast, and
    /// whose results the faulty f32 LSTM kernel does not touch. Not thread-safe: the switch is global to libtorch.
    /// </summary>
    public static T WithOneDnn<T>(Func<T> work)
    {
        using var on = TurnedOn();
        return work();
    }

    /// <summary>oneDNN on until the result is disposed, then off again if it was off (as <see cref="WithOneDnn{T}"/>).</summary>
    public static Scope TurnedOn()
    {
        if (IsOn() is not false) return default;
        SetUserEnabledMkldnn(GlobalContext(), true);
        return new Scope(true);
    }

    public readonly struct Scope(bool turnOffAfterwards) : IDisposable
    {
        public void Dispose()
        {
            if (turnOffAfterwards) SetUserEnabledMkldnn(GlobalContext(), false);
        }
    }

    /// <summary>Whether libtorch would use oneDNN now; null where that cannot be asked.</summary>
    public static bool? IsOn()
    {
        try
        {
            return OperatingSystem.IsLinux() ? UserEnabledMkldnn(GlobalContext()) : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }
}
