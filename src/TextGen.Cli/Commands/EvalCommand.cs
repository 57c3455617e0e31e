using System.CommandLine;
using TextGen.Persistence;
using TextGen.Tokenization;
using TextGen.Training;

namespace TextGen.Cli.Commands;

/// <summary>`textgen eval --model M CORPUS`: mean next-token cross-entropy of a model over a whole file.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var model = SharedOptions.Model();
        var corpus = new Argument<string>("corpus") { Description = "UTF-8 text file to score." };
        var json = SharedOptions.Json();
        var command = new Command("eval", "Report cross-entropy, bits per token and perplexity of a model on a text file.") { model, corpus, json };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            using var trained = TrainableModel.Load(SharedOptions.ResolveModel(parse.GetValue(model)));
            var result = ByteProgressDisplay.Run(parse.InvocationConfiguration.Error,
                progress => CorpusEvaluation.Run(trained, parse.GetValue(corpus)!, tokenizing: progress));
            if (result.CacheWarning is { } damaged)
            {
                parse.InvocationConfiguration.Error.WriteLine("warning: " + damaged);
            }
            if (result.Unknown > 0)
            {
                parse.InvocationConfiguration.Error.WriteLine("warning: " + UnknownText.Warning(trained.Tokenizer, result.Unknown, result.FirstUnknown, "the file"));
            }
            var loss = result.Loss;
            if (parse.GetValue(json))
            {
                JsonOutput.Write(output, new EvalOutput(loss.MeanNats, loss.BitsPerToken, loss.Perplexity, loss.Tokens, result.Unknown), CliJson.Default.EvalOutput);
            }
            else
            {
                output.WriteLine($"loss {loss.MeanNats:F4} nats/token · {loss.BitsPerToken:F4} bits/token · perplexity {loss.Perplexity:F3} · {loss.Tokens:N0} tokens scored");
            }
            return 0;
        });
        return command;
    }
}
