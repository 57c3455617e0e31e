using System.CommandLine;
using TextGen.Generation;
using TextGen.Server;

namespace TextGen.Cli.Commands;

/// <summary>`textgen serve`: OpenAI-compatible completions over HTTP, on loopback unless --host says otherwise.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var model = SharedOptions.Model();
        var server = new OptionBinder<ServerOptions>(fromEnvironment: true);
        var generation = new OptionBinder<GeneratorOptions>(fromEnvironment: true);
        var command = new Command("serve", "Serve a model over HTTP: the playground at /, /v1/completions, /v1/chat/completions, /v1/models[/{id}], " +
                                           "/tokenize, /detokenize, /textgen/model, /health, /metrics.") { model };
        foreach (var option in server.Options.Concat(generation.Options)) command.Add(option);
        command.SetAction(async (parse, cancel) =>
        {
            var path = SharedOptions.ResolveModel(parse.GetValue(model));
            var options = server.Bind(parse);
            var generator = TextGenerator.Load(path, generation.Bind(parse).Precision);
            var modelId = Path.GetFileNameWithoutExtension(path);
            await using var running = await CompletionServer.StartAsync(generator, modelId, options, cancel);
            parse.InvocationConfiguration.Error.WriteLine($"Serving {path} as '{modelId}' in " +
                                                          $"{generator.Precision.Name} ({generator.Precision.Reason}) on {running.Url} (Ctrl-C stops).");
            using var interrupt = new ConsoleInterrupt("stopping the server");
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel, interrupt.Token);
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
}
