using System.CommandLine;
using TextGen.Generation;
using TextGen.Server;

namespace TextGen.Cli.Commands;

/// <summary>`textgen serve`: OpenAI-compatible completions over HTTP, on loopback unless --host says otherwise.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var defaults = new ServerOptions();
        var model = SharedOptions.Model();
        var port = SharedOptions.From(ServerSettings.Port);
        var host = new Option<string>("--host") { Description = "Address to bind. Default 127.0.0.1 (this machine only); 0.0.0.0 exposes the server to the network.", DefaultValueFactory = _ => defaults.Host };
        var maxTokens = SharedOptions.From(ServerSettings.MaxTokens);
        var concurrency = SharedOptions.From(ServerSettings.MaxConcurrent);
        var precision = SharedOptions.Precision();
        var command = new Command("serve", "Serve a model over HTTP: the playground at /, /v1/completions, /v1/chat/completions, /v1/models[/{id}], /textgen/model, /health.") { model, port, host, maxTokens, concurrency, precision };
        command.SetAction(async (parse, cancel) =>
        {
            var path = SharedOptions.ResolveModel(parse.GetValue(model));
            var options = defaults with
            {
                Port = parse.GetValue(port),
                Host = parse.GetValue(host)!,
                MaxTokens = parse.GetValue(maxTokens),
                MaxConcurrent = parse.GetValue(concurrency),
            };
            var generator = TextGenerator.Load(path, SharedOptions.ParsePrecision(parse.GetValue(precision)!));
            var modelId = Path.GetFileNameWithoutExtension(path);
            await using var server = await CompletionServer.StartAsync(generator, modelId, options, cancel);
            parse.InvocationConfiguration.Error.WriteLine($"Serving {path} as '{modelId}' in {(generator.Engine.Precision == Inference.GenerationPrecision.Int8 ? "int8" : "fp32")} on {server.Url} (Ctrl-C stops).");
            using var interrupt = new ConsoleInterrupt();
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
