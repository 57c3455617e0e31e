using System.CommandLine;
using TextGen.Generation;
using TextGen.Settings;
using TextGen.Tokenization;

namespace TextGen.Cli.Commands;

/// <summary>`textgen sample`: generates text from a model, streaming it to stdout, or interactively.</summary>
public static class SampleCommand
{
    public static Command Create()
    {
        var model = SharedOptions.Model();
        var sampling = new OptionBinder<SamplingOptions>();
        var batch = new OptionBinder<SampleBatch>();
        var generator = new OptionBinder<GeneratorOptions>();
        var prefix = new Option<string>("--prefix", "-p") { Description = "Text that primes the network; the sample continues it.", DefaultValueFactory = _ => "" };
        var stop = new Option<string[]>("--stop") { Description = "Stop before this text (repeatable); it is not printed.", AllowMultipleArgumentsPerToken = false, DefaultValueFactory = _ => [] };
        var interactive = new Option<bool>("--interactive", "-i") { Description = "Show the likeliest next tokens and pick one, or type text, step by step." };
        var json = SharedOptions.Json();

        var command = new Command("sample", "Generate text from a trained model.") { model };
        foreach (var option in sampling.Options.Concat(batch.Options).Append(prefix).Append(stop).Append(interactive).Concat(generator.Options).Append(json)) command.Add(option);
        command.SetAction(parse =>
        {
            var options = sampling.Bind(parse) with { StopSequences = parse.GetValue(stop)!.Select(s => s.Replace("\\n", "\n")).ToArray() };
            options.Validate();
            var loaded = TextGenerator.Load(SharedOptions.ResolveModel(parse.GetValue(model)), generator.Bind(parse).Precision);
            if (loaded.Precision.Reason != "as asked")
            {
                parse.InvocationConfiguration.Error.WriteLine($"precision: {loaded.Precision.Name} ({loaded.Precision.Reason})");
            }
            return Run(loaded, parse.GetValue(prefix)!, options, batch.Bind(parse).Count, parse.GetValue(interactive), parse.GetValue(json), parse.InvocationConfiguration);
        });
        return command;
    }

    private static int Run(TextGenerator generator, string text, SamplingOptions options, int samples, bool interactive, bool json, InvocationConfiguration console)
    {
        var (output, error) = (console.Output, console.Error);
        var encoded = generator.EncodePrefix(text);
        if (encoded.UnknownCount > 0)
        {
            error.WriteLine("warning: " + UnknownText.Warning(generator.Tokenizer, encoded.UnknownCount, encoded.FirstUnknown, "the prefix"));
        }
        if (interactive)
        {
            InteractiveSampling.Run(generator, text, Console.In, output);
            return 0;
        }

        using var interrupt = new ConsoleInterrupt();
        var requests = TextGenerator.Samples(text, options, samples);
        if (json)
        {
            var results = generator.Complete(requests, interrupt.Token);
            JsonOutput.Write(output, new SampleOutput([.. results.Select(r => text + r.Text)]), CliJson.Default.SampleOutput);
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
    }
}

/// <summary>How many samples `sample` generates together.</summary>
public sealed record SampleBatch
{
    [Option("n", "Number of samples, generated together as one batch.", Min = 1, Max = 100_000)]
    public int Count { get; init; } = 1;
}
