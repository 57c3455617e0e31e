using System.CommandLine;
using System.Globalization;
using TextGen.Generation;
using TextGen.Tokenization;

namespace TextGen.Cli.Commands;

/// <summary>`textgen sample`: generates text from a model, streaming it to stdout, or interactively.</summary>
public static class SampleCommand
{
    public static Command Create()
    {
        var defaults = new SamplingOptions();
        var model = SharedOptions.Model();
        var temperature = new Option<string>("--temperature", "-t") { Description = "Softmax temperature (0 = always the likeliest token); a list such as 0.5,1.0 is cycled across samples.", DefaultValueFactory = _ => "0.8" };
        var length = SharedOptions.From(SamplingSettings.Length, "-l");
        var prefix = new Option<string>("--prefix", "-p") { Description = "Text that primes the network; the sample continues it.", DefaultValueFactory = _ => "" };
        var count = SharedOptions.From(SamplingSettings.Count);
        var topK = SharedOptions.From(SamplingSettings.TopK);
        var topP = SharedOptions.From(SamplingSettings.TopP);
        var penalty = SharedOptions.From(SamplingSettings.RepetitionPenalty);
        var stop = new Option<string[]>("--stop") { Description = "Stop before this text (repeatable); it is not printed.", AllowMultipleArgumentsPerToken = false, DefaultValueFactory = _ => [] };
        var interactive = new Option<bool>("--interactive", "-i") { Description = "Show the likeliest next tokens and pick one, or type text, step by step." };
        var seed = SharedOptions.Seed();
        var precision = SharedOptions.Precision();
        var json = SharedOptions.Json();

        var command = new Command("sample", "Generate text from a trained model.")
        {
            model, temperature, length, prefix, count, topK, topP, penalty, stop, interactive, seed, precision, json,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var temperatures = ParseTemperatures(parse.GetValue(temperature)!);
            var options = new SamplingOptions
            {
                Temperature = temperatures[0],
                Temperatures = temperatures.Length > 1 ? temperatures : null,
                Length = parse.GetValue(length),
                TopK = parse.GetValue(topK),
                TopP = parse.GetValue(topP),
                RepetitionPenalty = parse.GetValue(penalty),
                StopSequences = parse.GetValue(stop)!.Select(s => s.Replace("\\n", "\n")).ToArray(),
                Seed = parse.GetValue(seed),
            };
            options.Validate();
            var text = parse.GetValue(prefix)!;

            var generator = TextGenerator.Load(SharedOptions.ResolveModel(parse.GetValue(model)), SharedOptions.ParsePrecision(parse.GetValue(precision)!));
            var encoded = generator.EncodePrefix(text);
            if (encoded.UnknownCount > 0)
            {
                error.WriteLine("warning: " + UnknownText.Warning(generator.Tokenizer, encoded.UnknownCount, encoded.FirstUnknown, "the prefix"));
            }
            if (parse.GetValue(interactive))
            {
                InteractiveSampling.Run(generator, text, Console.In, output);
                return 0;
            }

            using var interrupt = new ConsoleInterrupt();
            var samples = parse.GetValue(count);
            var requests = TextGenerator.Samples(text, options, samples);
            if (parse.GetValue(json))
            {
                var results = generator.Complete(requests, interrupt.Token);
                JsonOutput.Write(output, new { samples = results.Select(r => text + r.Text) });
                return 0;
            }
            // All samples are generated as one batch: the first streams as it comes, the others follow when done (or,
            // after Ctrl-C, as far as they got).
            var collector = new GenerationCollector(samples);
            using var updates = generator.Run(requests, interrupt.Token).GetEnumerator();
            var more = updates.MoveNext(); // settings are checked here, before anything is printed
            output.Write(text);
            try
            {
                for (; more; more = updates.MoveNext())
                {
                    collector.Add(updates.Current);
                    if (updates.Current.Index == 0)
                    {
                        output.Write(updates.Current.Text);
                        output.Flush();
                    }
                }
            }
            finally
            {
                output.WriteLine();
                for (var i = 1; i < samples; i++)
                {
                    if (generator.Tokenizer is not DocumentTokenizer) output.WriteLine(); // documents: one per line
                    output.WriteLine(text + collector.Text(i));
                }
            }
            return 0;
        });
        return command;
    }

    private static double[] ParseTemperatures(string text)
    {
        var values = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                throw new TextGenException($"--temperature {text}: '{part}' is not a number; use e.g. 0.8 or 0.5,1.0.");
            }
            values.Add(value);
        }
        return [.. values];
    }
}
