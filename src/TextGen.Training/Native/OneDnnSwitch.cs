using System.Runtime.InteropServices;

namespace TextGen.Native;

/// <summary>
/// Turns off libtorch's oneDNN (MKLDNN) kernels, so that recurrent layers run on libtorch's own implementation.
/// Why: libtorch 2.10 runs a float32 LSTM in eval mode through oneDNN's `brgemm:avx512_core` inference primitive,
/// which on an AMD EPYC (Zen 5) computes wrong outputs whenever the width leaves a remainder of 1-16 modulo 32
/// (hidden 100, 200, 300, 301, 330: up to 0.21 off a float64 run at batch 128 x 50; 256, 288, 310, 320, 512: 5e-8).
/// Training takes oneDNN's reference primitive and is exact, but validation and `eval` are inference. Without oneDNN
/// every width is exact, and training ran faster here (2 x 256: 18.4k vs 9.7k tokens/s), evaluation slower
/// (52k vs 78k). Measurements: docs/runtime.md. TorchSharp has no API for the switch, so this calls
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
