/** Reads one line from the terminal without echoing it, for passwords and passphrases. */
export async function promptSecret(question: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string> {
	if (!input.isTTY) throw new Error('standard input is not a terminal');
	output.write(question);
	input.setRawMode(true);
	input.resume();
	input.setEncoding('utf8');
	return new Promise((resolve, reject) => {
		let secret = '';
		const finish = (error?: Error) => {
			input.setRawMode(false);
			input.pause();
			input.removeListener('data', onData);
			output.write('\n');
			if (error) reject(error);
			else resolve(secret);
		};
		const onData = (chunk: string) => {
			for (const char of chunk) {
				if (char === '\r' || char === '\n') return finish();
				if (char === '\u0003') return finish(new Error('cancelled'));
				if (char === '\u007f' || char === '\b') secret = secret.slice(0, -1);
				else secret += char;
			}
		};
		input.on('data', onData);
	});
}
