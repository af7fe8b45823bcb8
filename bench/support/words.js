'use strict';
// Words for seeded message text, most frequent first (the generator picks early ones more often), so that
// message text has the skew of real language and a search for a common or a rare word means something.
module.exports = `
the be to of and a in that have it for not on with he as you do at this but his by from they we say her she or an
will my one all would there their what so up out if about who get which go me when make can like time no just him
know take people into year your good some could them see other than then now look only come its over think also
back after use two how our work first well way even new want because any these give day most us is are was were
been has had did does said very much more many such own same few both each those here where why while through
during before between under again once should must might shall may need help please thanks thank question answer
explain example code function value error message server client request response database query index table
column row file folder path project build test deploy release version change update install package library
module class method object array string number list map set key data model prompt token stream chunk event user
account password login session cookie header body status page cursor limit search result order sort filter
memory speed fast slow latency throughput cache queue worker thread process loop callback promise async await
return type interface import export config setting option flag default variable environment secret log trace
debug warning issue bug fix patch review commit branch merge conflict history note idea plan design draft
write read send receive open close start stop run wait try catch throw handle retry timeout network socket port
address host domain email link image text word sentence paragraph story poem letter recipe travel weather city
country language english french music movie book game sport team coffee breakfast dinner garden house family
friend child school class lesson teacher student exam homework math science history physics chemistry biology
money price budget market customer product service company office meeting schedule calendar week month morning
evening night today tomorrow yesterday early late quick simple hard easy clear better best great small large long
short high low right left next last little big old young important different possible available useful true
false sure maybe probably really actually already still often always never sometimes usually almost enough
something nothing everything anything someone everyone problem solution reason result step part point case fact
group number system program area world life hand place week line end kind head side water room mother area
`
  .trim()
  .split(/\s+/);
