using System.CommandLine;
using TextGen.Generation;

namespace TextGen.Cli.Commands;

/// <summary>`textgen sample`: generates text from a model, streaming it to stdout.</summary>
public static class SampleCommand
{
    public static Command Create()
    {
        var defaults = new SamplingOptions();
        var model = SharedOptions.Model();
        var temperature = SharedOptions.InRange("--temperature", "Softmax temperature; 0 always takes the likeliest token.", defaults.Temperature, 0, 100, "-t");
        var length = SharedOptions.InRange("--length", "Tokens to generate per sample.", defaults.Length, 0, 10_000_000, "-l");
        var prefix = new Option<string>("--prefix", "-p") { Description = "Text that primes the network; the sample continues it.", DefaultValueFactory = _ => "" };
        var count = SharedOptions.InRange("-n", "Number of samples.", 1, 1, 100_000);
        var seed = SharedOptions.Seed();
        var json = SharedOptions.Json();

        var command = new Command("sample", "Generate text from a trained model.") { model, temperature, length, prefix, count, seed, json };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var options = new SamplingOptions { Temperature = parse.GetValue(temperature), Length = parse.GetValue(length) };
            options.Validate();
            var text = parse.GetValue(prefix)!;
            var baseSeed = parse.GetValue(seed);
            var asJson = parse.GetValue(json);

            using var generator = TextGenerator.Load(SharedOptions.ResolveModel(parse.GetValue(model)));
            var encoded = generator.EncodePrefix(text);
            if (encoded.UnknownCount > 0)
            {
                error.WriteLine($"warning: {encoded.UnknownCount} characters of the prefix are not in the model's vocabulary (first: '{encoded.FirstUnknown}') and were skipped.");
            }

            using var interrupt = new ConsoleInterrupt();
            var samples = new List<string>();
            for (var i = 0; i < parse.GetValue(count); i++)
            {
                var sampleOptions = options with { Seed = baseSeed is { } s ? unchecked(s + i) : null };
                if (asJson)
                {
                    samples.Add(text + generator.Generate(text, sampleOptions, interrupt.Token));
                    continue;
                }
                if (i > 0) output.WriteLine();
                output.Write(text);
                foreach (var piece in generator.Stream(text, sampleOptions, interrupt.Token))
                {
                    output.Write(piece);
                    output.Flush();
                }
                output.WriteLine();
            }
            if (asJson)
            {
                JsonOutput.Write(output, new { samples });
            }
            return 0;
        });
        return command;
    }
}
