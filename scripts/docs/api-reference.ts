import * as path from 'node:path';
import ts from 'typescript';
import { generatedNotice } from './markdown';

/** A package whose public API is documented: its folder under the repository root and its npm name. */
export interface ApiPackage {
  dir: string;
  name: string;
  summary: string;
}

type Section = 'Functions' | 'Classes' | 'Interfaces' | 'Types' | 'Constants' | 'Namespaces';
const SECTIONS: Section[] = ['Functions', 'Classes', 'Interfaces', 'Types', 'Constants', 'Namespaces'];

interface Entry {
  name: string;
  section: Section;
  signature: string;
  doc: string;
  source: string;
}

function sectionOf(declaration: ts.Declaration): Section | undefined {
  if (ts.isFunctionDeclaration(declaration)) return 'Functions';
  if (ts.isClassDeclaration(declaration)) return 'Classes';
  if (ts.isInterfaceDeclaration(declaration)) return 'Interfaces';
  if (ts.isTypeAliasDeclaration(declaration) || ts.isEnumDeclaration(declaration)) return 'Types';
  if (ts.isVariableDeclaration(declaration)) return 'Constants';
  if (ts.isSourceFile(declaration) || ts.isModuleDeclaration(declaration)) return 'Namespaces';
  return undefined;
}

function documentation(symbol: ts.Symbol, checker: ts.TypeChecker): string {
  const text = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
  const tags = symbol
    .getJsDocTags(checker)
    .map((tag) => `@${tag.name}${tag.text ? ` ${ts.displayPartsToString(tag.text)}` : ''}`)
    .join('\n');
  return [text, tags].filter((part) => part !== '').join('\n\n');
}

/** Reads the doc comment of an `export * as name from '...'` statement, which belongs to the statement, not the module. */
function exportComment(exported: ts.Symbol): string {
  const statement = exported.declarations?.[0]?.parent;
  if (!statement) return '';
  return ts
    .getJSDocCommentsAndTags(statement)
    .map((node) => (ts.isJSDoc(node) ? ts.getTextOfJSDocComment(node.comment) ?? '' : ''))
    .join('\n')
    .trim();
}

function classSignature(declaration: ts.ClassDeclaration, checker: ts.TypeChecker): string {
  const lines = [`class ${declaration.name?.text ?? '(anonymous)'} {`];
  for (const member of declaration.members) {
    const modifiers = ts.getCombinedModifierFlags(member);
    if (modifiers & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
    if (member.name && ts.isPrivateIdentifier(member.name)) continue;
    const symbol = member.name ? checker.getSymbolAtLocation(member.name) : undefined;
    const doc = symbol ? ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim() : '';
    if (doc) lines.push(`  /** ${doc.replace(/\n/g, ' ')} */`);
    if (ts.isMethodDeclaration(member) || ts.isConstructorDeclaration(member)) {
      const signature = checker.getSignatureFromDeclaration(member);
      const name = ts.isConstructorDeclaration(member) ? 'constructor' : member.name.getText();
      if (signature) lines.push(`  ${name}${checker.signatureToString(signature)};`);
    } else if (ts.isPropertyDeclaration(member) && symbol) {
      const readonly = modifiers & ts.ModifierFlags.Readonly ? 'readonly ' : '';
      lines.push(`  ${readonly}${member.name.getText()}: ${checker.typeToString(checker.getTypeOfSymbolAtLocation(symbol, member))};`);
    }
  }
  lines.push('}');
  return lines.join('\n');
}

function signatureOf(name: string, symbol: ts.Symbol, declaration: ts.Declaration, section: Section, checker: ts.TypeChecker): string {
  switch (section) {
    case 'Functions': {
      const type = checker.getTypeOfSymbolAtLocation(symbol, declaration);
      return type
        .getCallSignatures()
        .map((signature) => `function ${symbol.name}${checker.signatureToString(signature)}`)
        .join('\n');
    }
    case 'Classes':
      return classSignature(declaration as ts.ClassDeclaration, checker);
    case 'Namespaces': {
      const file = declaration.getSourceFile().fileName;
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
      return `namespace ${name} // ${match ? `every export of ${match[1]}` : 'a module'}`;
    }
    case 'Constants': {
      const type = checker.getTypeOfSymbolAtLocation(symbol, declaration);
      return `const ${symbol.name}: ${checker.typeToString(type)}`;
    }
    default: {
      // Interfaces and type aliases read best as written, with their members' comments.
      const text = declaration.getText();
      return text.replace(/^export\s+/, '');
    }
  }
}

function entryFile(pkg: ApiPackage, root: string): string {
  return path.join(root, pkg.dir, 'src/index.ts');
}

/** Creates one program over every package's entry file, so that shared sources are parsed and checked once. */
function createApiProgram(packages: readonly ApiPackage[], root: string): ts.Program {
  const configPath = path.join(root, packages[0].dir, 'tsconfig.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!parsed) throw new Error(`cannot read ${configPath}`);
  const { composite, rootDir, outDir, ...options } = parsed.options;
  return ts.createProgram({ rootNames: packages.map((pkg) => entryFile(pkg, root)), options: { ...options, noEmit: true } });
}

function collectEntries(pkg: ApiPackage, root: string, program: ts.Program): Entry[] {
  const entry = entryFile(pkg, root);
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${entry} has no exports`);

  const entries: Entry[] = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    for (const declaration of symbol.declarations ?? []) {
      const section = sectionOf(declaration);
      if (!section) continue;
      entries.push({
        name: exported.name,
        section,
        signature: signatureOf(exported.name, symbol, declaration, section, checker),
        doc: section === 'Namespaces' ? exportComment(exported) : documentation(symbol, checker),
        source: path.relative(root, (section === 'Namespaces' ? exported.declarations![0] : declaration).getSourceFile().fileName).split(path.sep).join('/'),
      });
      break;
    }
  }
  return entries.sort((a, b) => a.name.localeCompare(b.name));
}

/** Renders the API page of each package from its TypeScript sources: every export, its signature and doc comment. */
export function renderApiPages(packages: readonly ApiPackage[], root: string): Map<ApiPackage, string> {
  const program = createApiProgram(packages, root);
  return new Map(packages.map((pkg) => [pkg, renderApiPage(pkg, root, program)]));
}

function renderApiPage(pkg: ApiPackage, root: string, program: ts.Program): string {
  const entries = collectEntries(pkg, root, program);
  const lines = [generatedNotice('scripts/docs/api-reference.ts'), '', `# ${pkg.name}`, '', pkg.summary];
  for (const section of SECTIONS) {
    const inSection = entries.filter((entry) => entry.section === section);
    if (inSection.length === 0) continue;
    lines.push('', `## ${section}`);
    for (const entry of inSection) {
      lines.push('', `### ${entry.name}`, '', '```ts', entry.signature, '```');
      if (entry.doc) lines.push('', entry.doc);
      lines.push('', `Source: [${entry.source}](../../${entry.source})`);
    }
  }
  return lines.join('\n') + '\n';
}

/** Renders docs/api/README.md, the index of the API pages. */
export function renderApiIndex(packages: readonly ApiPackage[]): string {
  return [
    generatedNotice('scripts/docs/api-reference.ts'),
    '',
    '# API reference',
    '',
    'Every export of each package, generated from its TypeScript sources and doc comments.',
    '',
    ...packages.map((pkg) => `- [${pkg.name}](${path.basename(pkg.dir)}.md): ${pkg.summary}`),
    '',
  ].join('\n');
}
