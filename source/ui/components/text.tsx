import {Text as InkText} from 'ink';
import {Children, type ComponentProps, type ReactNode} from 'react';
import {visibleText} from '../../model/visible-text.js';

/**
 * Ink's Text with every string child passed through the one sanitizer: Ink keeps SGR colour codes and
 * bidi controls that it finds inside a string, and member names, errors and remote output are drawn here.
 * The console's components import Text from this file, never from 'ink'.
 */
export function Text({children, ...props}: ComponentProps<typeof InkText>) {
	return <InkText {...props}>{visibleChildren(children)}</InkText>;
}

function visibleChildren(children: ReactNode): ReactNode {
	if (typeof children === 'string') return visibleText(children);
	if (!Array.isArray(children)) return children;
	return Children.map(children, child => (typeof child === 'string' ? visibleText(child) : child));
}
