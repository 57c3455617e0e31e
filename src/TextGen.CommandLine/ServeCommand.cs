using System.CommandLine;
using TextGen.Generation;
using TextGen.Server;

namespace TextGen.CommandLine;

/// <summary>
/// `textgen serve`, and `textgen-serve` (the same command as a program of its own, trimmed, without training):
/// OpenAI-compatible completions over HTTP, on loopback unless --host says otherwise.
/// </summary>
public static class ServeCommand
{
    private const string Description = "Serve a model over HTTP: the playground at /, /v1/completions, /v1/chat/completions, /v1/models[/{id}], " +
                                       "/tokenize, /detokenize, /textgen/model, /health, /metrics.";

    /// <summary>The `serve` command of `textgen`.</summary>
    public static Command Create() => Configure(new Command("serve", Description));

    /// <summary>The whole of `textgen-serve`: the same flags and variables at the root.</summary>
    public static RootCommand Root() => (RootCommand)Configure(new RootCommand(Description));

    private static Command Configure(Command command)
    {
        var model = SharedOptions.Model();
        var modelVariable = OptionBinder<ServerOptions>.VariableFor("model");
        model.Description += $" Environment: {modelVariable}.";
        var server = new OptionBinder<ServerOptions>(fromEnvironment: true);
        var generation = new OptionBinder<GeneratorOptions>(fromEnvironment: true);
        command.Add(model);
        foreach (var option in server.Options.Concat(generation.Options)) command.Add(option);
        command.SetAction(async (parse, cancel) =>
        {
            // Signals are taken from the start: a SIGTERM while the model loads stops the server as soon as it is up.
            using var interrupt = new ConsoleInterrupt("stopping the server");
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel, interrupt.Token);
            var path = SharedOptions.ResolveModel(parse.GetValue(model) ?? NonEmpty(Environment.GetEnvironmentVariable(modelVariable)));
            var options = server.Bind(parse);
            var generator = TextGenerator.Load(path, generation.Bind(parse).Precision);
            var modelId = Path.GetFileNameWithoutExtension(path);
            await using var running = await CompletionServer.StartAsync(generator, modelId, options, cancel);
            parse.InvocationConfiguration.Error.WriteLine($"Serving {path} as '{modelId}' in " +
                                                          $"{generator.Precision.Name} ({generator.Precision.Reason}) on {running.Url} (Ctrl-C stops).");
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C: stop serving.
            }
            return 0;
        });
        return command;
    }

    private static string? NonEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}
