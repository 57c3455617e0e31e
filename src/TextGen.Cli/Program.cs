using TextGen.Cli;
using TextGen.Distributed;

TrainingRanks.PlainTerminal();
CommandRunner.CatchUnhandled("textgen");
return CommandLineApp.Run(args, Console.Out, Console.Error);
