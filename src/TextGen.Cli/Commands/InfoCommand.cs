using System.CommandLine;
using TextGen.Persistence;

namespace TextGen.Cli.Commands;

/// <summary>`textgen info`: what a model is and how it was trained (no libtorch needed).</summary>
public static class InfoCommand
{
    public static Command Create()
    {
        var model = SharedOptions.Model();
        var json = SharedOptions.Json();
        var command = new Command("info", "Print a model's architecture, tokenizer, training run and loss curve summary.") { model, json };
        command.SetAction(parse =>
        {
            var path = SharedOptions.ResolveModel(parse.GetValue(model));
            var summary = ModelSummary.Of(TextModel.Load(path), path);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                JsonOutput.Write(output, summary, SummaryJson.Default.ModelSummary);
            }
            else
            {
                foreach (var line in summary.Lines()) output.WriteLine(line);
            }
            return 0;
        });
        return command;
    }
}
