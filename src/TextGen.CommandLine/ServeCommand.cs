using System.CommandLine;
using TextGen.Generation;
using TextGen.Inference;
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
        model.Description += $" Environment: {SettingVariables.For("model")}.";
        var server = new OptionBinder<ServerOptions>(fromEnvironment: true);
        var generation = new OptionBinder<GeneratorOptions>(fromEnvironment: true);
        command.Add(model);
        foreach (var option in server.Options.Concat(generation.Options)) command.Add(option);
        command.SetAction(async (parse, cancel) =>
        {
            // Signals are taken from the start: a SIGTERM while the model loads ends the program before it binds.
            using var interrupt = new ConsoleInterrupt("stopping the server");
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel, interrupt.Token);
            var options = server.Bind(parse);
            var (path, generator) = Load(parse.GetValue(model), generation.Bind(parse).Precision);
            if (stop.IsCancellationRequested) return 0;
            var modelId = Path.GetFileNameWithoutExtension(path);
            // Disposing stops the server: no new connection, and the requests in flight finish first (ASP.NET Core's
            // shutdown timeout, 30 s by default).
            await using var running = await CompletionServer.StartAsync(generator, modelId, options, cancel);
            parse.InvocationConfiguration.Error.WriteLine($"Serving {path} as '{modelId}' in " +
                                                          $"{generator.Precision.Name} ({generator.Precision.Reason}) on {running.Url} (Ctrl-C stops).");
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C or SIGTERM: stop serving.
            }
            return 0;
        });
        return command;
    }

    /// <summary>The model named by the flag, else by TEXTGEN_MODEL (whose problems name the variable), else the newest in models/.</summary>
    private static (string Path, TextGenerator Generator) Load(string? flag, GenerationPrecision precision)
    {
        var variable = flag is null ? SettingVariables.Read("model") : null;
        var path = SharedOptions.ResolveModel(flag ?? variable);
        try
        {
            return (path, TextGenerator.Load(path, precision));
        }
        catch (TextGenException e) when (variable is not null)
        {
            throw SettingVariables.Problem("model", variable, e.Message);
        }
    }
}
