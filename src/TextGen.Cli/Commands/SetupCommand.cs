using System.CommandLine;
using TextGen.Benchmarking;
using TextGen.Native;

namespace TextGen.Cli.Commands;

/// <summary>
/// `textgen setup`: what the first `train` would set up, done ahead of time (container images, CI) and reported:
/// the C++ runtime in use, libtorch's folder, and MKL's vendor answer. The work itself happens before any libtorch
/// command runs (CommandLineApp); this command checks it with one computation and says what it found.
/// </summary>
public static class SetupCommand
{
    public static Command Create()
    {
        var json = SharedOptions.Json();
        var command = new Command("setup", "Fetch and check what training needs (libtorch, and a private C++ runtime where the system's is too old), ahead of the first train.") { json };
        command.SetAction(parse =>
        {
            using (TorchSharp.torch.NewDisposeScope()) // the product's intermediate too
            {
                var sum = TorchSharp.torch.ones(3, 3).matmul(TorchSharp.torch.ones(3, 3)).sum();
                if (sum.item<float>() != 27f) throw new TextGenException("libtorch loaded but computed a wrong product; delete the cache folder and run `textgen setup` again.");
            }
            var libtorch = TorchRuntime.LibtorchFolder ?? AppContext.BaseDirectory;
            var libstdcxx = PrivateCppRuntime.LoadedLibstdcxx();
            var mkl = CpuFeatures.MklVendor switch
            {
                "answered" => "answered Intel",
                "amd" => "not answered (MKL's slower kernels; TEXTGEN_MKL_VENDOR=off, or the answer could not be loaded)",
                _ => "MKL's own (an Intel CPU)",
            };
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                JsonOutput.Write(output, new SetupOutput(libtorch, libstdcxx, CpuFeatures.MklVendor, UserCache.Root), CliJson.Default.SetupOutput);
                return 0;
            }
            output.WriteLine($"libtorch: {libtorch}");
            if (libstdcxx is not null) output.WriteLine($"C++ runtime: {libstdcxx}");
            output.WriteLine($"MKL vendor check: {mkl}");
            output.WriteLine("ready: train, eval, forecast and bench run here.");
            return 0;
        });
        return command;
    }
}
