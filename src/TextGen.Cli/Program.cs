using TextGen.Cli;

CommandRunner.CatchUnhandled("textgen");
return CommandLineApp.Run(args, Console.Out, Console.Error);
